// Runs helper programs (initdb, pg_ctl) to completion: fork and exec with an
// argument vector (never a shell), optionally as another user when started by
// root, in a session of their own so a terminal's Ctrl-C reaches only us.
// Thread-compatible: call from one thread at a time.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace payments::serve {

struct ProcessUser {
  uid_t uid;
  gid_t gid;
  std::string name;
};

// The unprivileged user to run PostgreSQL as when we are root: "postgres" if
// that account exists, else "nobody". std::nullopt when not root.
std::optional<ProcessUser> UnprivilegedUserIfRoot();

struct ProcessResult {
  int exit_code = -1;  // 128+signal when killed
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv[0] (searched in PATH when it has no slash) and waits for it.
// Output is captured when capture is true, else inherited.
payments::Result<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                           const std::optional<ProcessUser>& user,
                                           bool capture = true);

// chown path to user (no-op when user is empty).
payments::Status ChownTo(const std::string& path, const std::optional<ProcessUser>& user);

}  // namespace payments::serve
