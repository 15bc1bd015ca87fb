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
#include "migrate/migration.h"
#include "migrate/plan.h"
#include "store/instance_store.h"

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
  int steps_done = 0;          // of a migration not (yet) applied whole
  std::string steps_checksum;  // of the SQL of those steps
};

struct BackfillState {
  int64_t version = 0;
  int ordinal = 0;
  std::string table;
  std::string origin;
  std::string state;  // pending, running, done
  int64_t keys_done = 0;
  int64_t rows_updated = 0;
};

enum class EventKind { kInfo, kWarning, kRetry, kProgress };

struct MigratorEvent {
  EventKind kind = EventKind::kInfo;
  std::string message;
  BackfillProgress progress;  // kProgress
};

struct MigratorOptions {
  std::chrono::seconds lock_wait{0};  // 0: fail at once if another migrator runs
  std::chrono::milliseconds default_lock_timeout{1000};
  std::chrono::milliseconds default_statement_timeout{60'000};  // steps in a transaction, batches
  int lock_retries = 10;
  std::chrono::milliseconds backoff_initial{200};
  std::chrono::milliseconds backoff_max{5000};
  int batch_size = kDefaultBatchSize;
  std::chrono::milliseconds batch_pause = kDefaultBatchPause;
  std::chrono::seconds instance_stale_after{30};
  bool force = false;  // run past the instance interlock (with a warning)
  std::function<void(const MigratorEvent&)> on_event;
};

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
  payments::Status EnsureTables();
  payments::Status Lock();
  void Unlock();
  void Emit(EventKind kind, std::string message);
  payments::Status Apply(const Migration& m, int first_step);
  payments::Status RunBackfills(int64_t version);
  payments::Status CheckContractInterlock(const Migration& m);
  // contract: refuses while live instances were built without m; else (down)
  // while live instances were built with it. --force warns instead.
  payments::Status Interlock(const Migration& m, bool contract);
  payments::Result<std::vector<store::Instance>> LiveInstances();
  payments::Status RunSteps(const Migration& m, const std::vector<Step>& steps, int first_step,
                            bool down);
  payments::Result<std::vector<InstalledTransition>> LoadTransitions(int64_t version,
                                                                     const char* state);
  BackfillOptions MakeBackfillOptions(const Migration* m);

  db::Connection& conn_;
  std::vector<Migration> migrations_;
  MigratorOptions options_;
};

// Problems `migrate validate` reports: an applied migration whose file
// changed (checksum) or is missing, and gaps (a migration that is not applied
// while a later one is, other than a contract waiting for its rollout).
std::vector<std::string> ValidateHistory(const std::vector<Migration>& files,
                                         const std::vector<AppliedMigration>& history);

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

// SHA-256 of the SQL of the first `count` steps: what a resumed run checks.
std::string StepsChecksum(const std::vector<Step>& steps, int count);

// The applied_by text for this binary on this host.
std::string AppliedBy();

}  // namespace payments::migrate
