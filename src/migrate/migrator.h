// The migration engine: applies migrations in version order under a
// PostgreSQL advisory lock (one migrator at a time), recording each in the
// schema_migrations history table with its checksum, phase, who applied it,
// how long it took and whether it succeeded. A failed migration is recorded
// and stops the run; the error names the file, the line and the statement.
//
// Each migration runs as the steps of migrate/plan.h: short transactions
// under lock_timeout (retried with backoff when it strikes, so DDL waiting
// behind a long transaction never queues traffic for long) and
// statement_timeout, and statements that cannot run in a transaction on their
// own. A migration of several steps is resumable: the steps done are
// recorded, and the next run continues after them. Backfills run after their
// migration is recorded as applied (see migrate/backfill.h), so a binary that
// needs the new columns may start while they fill.
//
// Contract migrations are interlocked with the instance registry
// (store/instance_store.h): one refuses while a live instance was built
// without it, and `down` refuses while a live instance was built with what it
// would undo; `force` overrides both with a warning.
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
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/connection.h"
#include "migrate/backfill.h"
#include "migrate/history.h"
#include "migrate/interlock.h"
#include "migrate/migration.h"
#include "migrate/migrator_options.h"
#include "migrate/plan.h"
#include "migrate/schema_check.h"

namespace payments::migrate {

enum class PhaseFilter { kAll, kExpand, kContract };

struct UpOptions {
  std::optional<int64_t> to;  // highest version to apply
  // kExpand: every migration that is not a contract; kContract: contracts only.
  PhaseFilter phase = PhaseFilter::kAll;
};

struct UpReport {
  std::vector<int64_t> applied;
  std::vector<int64_t> backfilled;  // migrations whose backfills finished in this run
};

struct DownReport {
  std::vector<int64_t> undone;
};

// What `migrate up --dry-run` prints: the pending migrations, each step's SQL
// and the backfills, with what the interlock would say. Reads only.
struct PlannedMigration {
  const Migration* migration = nullptr;
  int first_step = 0;  // steps already done by an earlier, interrupted run
  std::vector<Step> steps;
  std::vector<BackfillSpec> backfills;
  std::vector<std::string> notes;  // interlock, resumption
};
struct UpPlan {
  std::vector<BackfillState> unfinished_backfills;
  std::vector<PlannedMigration> migrations;
};

// One row of `migrate status`.
struct MigrationStatus {
  int64_t version = 0;
  std::string name;
  Phase phase = Phase::kNone;
  enum class File { kOk, kChanged, kMissing, kNone } file = File::kNone;  // kNone: not applied
  std::optional<AppliedMigration> applied;                                // the history row, if any
  std::vector<BackfillState> backfills;
};

class Migrator {
 public:
  Migrator(db::Connection& conn, std::vector<Migration> migrations, MigratorOptions options);
  Migrator(const Migrator&) = delete;
  Migrator& operator=(const Migrator&) = delete;

  // Finishes unfinished backfills, then applies the pending migrations the
  // options select, in version order, each followed by its backfills.
  payments::Result<UpReport> Up(const UpOptions& options);
  // What Up would do, touching nothing.
  payments::Result<UpPlan> Plan(const UpOptions& options);
  // Undoes applied migrations newer than `to`, newest first. Refuses, naming
  // the migration, when one cannot be undone (before undoing anything).
  payments::Result<DownReport> Down(int64_t to);
  // The history, oldest first (empty when the table does not exist yet).
  payments::Result<std::vector<AppliedMigration>> History();
  payments::Result<std::vector<BackfillState>> Backfills();
  // Files and history side by side.
  payments::Result<std::vector<MigrationStatus>> Status();

  const std::vector<Migration>& migrations() const { return migrations_; }

 private:
  // What Up and Plan both start from: the applied rows by version, the
  // backfills a killed run left unfinished (up to options.to), and the
  // migrations these options would apply, in order.
  struct Pending {
    std::map<int64_t, AppliedMigration> applied;
    std::vector<BackfillState> unfinished_backfills;
    std::vector<const Migration*> migrations;
  };
  payments::Result<Pending> FindPending(const UpOptions& options);
  payments::Status Apply(const Migration& m, int first_step);
  payments::Status RunBackfills(int64_t version);
  // The instance interlock (migrate/interlock.h); with --force, a warning.
  payments::Status Interlock(const Migration& m, InterlockFor what);
  BackfillOptions MakeBackfillOptions(const Migration* m);

  db::Connection& conn_;
  std::vector<Migration> migrations_;
  MigratorOptions options_;
};

}  // namespace payments::migrate
