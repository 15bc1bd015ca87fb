// The migration engine: applies migrations in version order under a
// PostgreSQL advisory lock (one migrator at a time), recording each in the
// schema_migrations history table with its checksum, phase, who applied it and
// how long it took. A failed migration is recorded and stops the run.
//
//   auto migrations = LoadEmbeddedMigrations();
//   Migrator m(conn, *migrations, {});
//   auto report = m.Up({});
//
// A Migrator drives one connection; not thread-safe. Concurrency between
// processes is what the advisory lock is for.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/connection.h"
#include "migrate/migration.h"

namespace payments::migrate {

// The advisory lock key all migrators take ("payments" in ASCII).
inline constexpr int64_t kMigrationLockKey = 0x7061796d656e7473;

struct AppliedMigration {
  int64_t version = 0;
  std::string name;
  std::string checksum;
  Phase phase = Phase::kNone;
  std::string applied_at;  // ISO 8601
  std::string applied_by;  // "payments 0.1.0 (abc123) on host"
  int64_t execution_ms = 0;
  bool success = false;
  std::optional<std::string> error;
};

struct MigratorOptions {
  std::chrono::seconds lock_wait{0};  // 0: fail at once if another migrator runs
  std::chrono::milliseconds default_lock_timeout{1000};
};

struct UpOptions {
  std::optional<int64_t> to;  // highest version to apply
};

struct UpReport {
  std::vector<int64_t> applied;
};

class Migrator {
 public:
  Migrator(db::Connection& conn, std::vector<Migration> migrations, MigratorOptions options);
  Migrator(const Migrator&) = delete;
  Migrator& operator=(const Migrator&) = delete;

  payments::Result<UpReport> Up(const UpOptions& options);
  // The history, oldest first (creates the table when missing).
  payments::Result<std::vector<AppliedMigration>> History();
  const std::vector<Migration>& migrations() const { return migrations_; }

 private:
  payments::Status EnsureHistoryTable();
  payments::Status Lock();
  void Unlock();
  payments::Status Apply(const Migration& m);

  db::Connection& conn_;
  std::vector<Migration> migrations_;
  MigratorOptions options_;
};

// Whether this binary may serve traffic on the schema it finds: every
// migration built in that is not a contract must be applied (the binary may
// use what they add), and no contract migration newer than the binary may be
// applied (it may have dropped what the binary reads). An unknown expand
// migration is fine: that is what makes rolling back the binary safe.
struct SchemaCheck {
  bool compatible = false;
  int64_t applied_version = 0;   // highest successfully applied
  int64_t built_in_version = 0;  // highest built into this binary
  std::string reason;            // why not, for /readyz
};

payments::Result<SchemaCheck> CheckSchema(db::Connection& conn,
                                          const std::vector<Migration>& built_in);

// The applied_by text for this binary on this host.
std::string AppliedBy();

}  // namespace payments::migrate
