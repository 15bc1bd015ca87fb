// The simulated processor as a child of `payments serve`, for when no
// processor URL is configured (`make run`, tests): runs `payments sandbox`
// (sandbox/sandbox_server.h) from the same binary on a free loopback port
// with its journal at `journal`, forwards its log lines to our stderr, and
// stops it with SIGTERM at shutdown. The child gets SIGTERM too if we die
// (PR_SET_PDEATHSIG), so it never outlives the service.
//
// Not thread-safe: one owner starts and stops it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "core/error.h"

namespace payments::serve {

struct SandboxChildOptions {
  std::string journal;
  std::chrono::milliseconds latency{0};
  std::chrono::milliseconds slow_latency{2000};
  std::chrono::milliseconds hang{60000};
  std::chrono::milliseconds start_timeout{10000};
};

class SandboxChild {
 public:
  // Starts it and waits for its "sandbox listening" line.
  static payments::Result<std::unique_ptr<SandboxChild>> Start(const SandboxChildOptions& options);
  SandboxChild(const SandboxChild&) = delete;
  SandboxChild& operator=(const SandboxChild&) = delete;
  ~SandboxChild();  // Stop()

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return pid_; }
  // SIGTERM, then waits up to `timeout` before SIGKILL; the exit code.
  int Stop(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  SandboxChild() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  int output_fd_ = -1;
  std::thread forwarder_;
};

}  // namespace payments::serve
