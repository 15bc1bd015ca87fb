// A private PostgreSQL cluster driven through initdb and pg_ctl: the embedded
// default of `payments serve` (under ./var/) and the throwaway database of the
// test harness. Unix socket only, trust authentication on a socket directory
// only its owner can enter. When started by root, the server runs as the
// unprivileged "postgres" (or "nobody") account, which PostgreSQL requires.
//
//   EmbeddedPostgres pg({.data_dir = "var/pgdata", .socket_dir = "var/run"});
//   if (auto s = pg.Start(); !s) fail(s.error());   // initdb on first use
//   std::string url = pg.ConnInfo("payments");
//   ...
//   pg.Stop();
//
// Not thread-safe; one owner drives it.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/error.h"
#include "serve/subprocess.h"

namespace payments::serve {

struct EmbeddedPostgresOptions {
  std::string data_dir;    // created by initdb when it holds no cluster
  std::string socket_dir;  // where the server's Unix socket lives
  int port = 5432;         // only names the socket file; no TCP listener
  // Extra postgresql.conf settings, written to payments.conf at each start.
  std::map<std::string, std::string> settings;
};

class EmbeddedPostgres {
 public:
  explicit EmbeddedPostgres(EmbeddedPostgresOptions options);
  EmbeddedPostgres(const EmbeddedPostgres&) = delete;
  EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;
  ~EmbeddedPostgres() = default;  // never stops the server by itself

  // initdb if needed, then start and wait until it accepts connections. If a
  // server is already running on this data directory it is reused.
  payments::Status Start();
  // Fast shutdown (rolls back open transactions), waiting for it to finish.
  payments::Status Stop();
  // Immediate shutdown: as a crash or a power cut looks to clients.
  payments::Status Kill();
  bool IsRunning();

  // A libpq connection string for database `dbname` as the superuser.
  std::string ConnInfo(const std::string& dbname = "postgres") const;

  // Creates the database when it does not exist.
  payments::Status EnsureDatabase(const std::string& dbname);

  const EmbeddedPostgresOptions& options() const { return options_; }

  // The directory holding initdb, pg_ctl and postgres: $PAYMENTS_PG_BINDIR,
  // or the newest /usr/lib/postgresql/<major>/bin.
  static payments::Result<std::string> FindBinDir();

 private:
  payments::Status InitIfNeeded();
  payments::Status WriteSettings();
  payments::Result<ProcessResult> PgCtl(const std::vector<std::string>& args);

  EmbeddedPostgresOptions options_;
  std::optional<ProcessUser> user_;
  std::string bin_dir_;
};

// A socket directory path short enough for a Unix socket (sun_path is 108
// bytes): `preferred` made absolute when it fits, else a stable directory under
// /tmp derived from it.
std::string ShortSocketDir(const std::string& preferred);

}  // namespace payments::serve
