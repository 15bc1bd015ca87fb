// The migration engine's own tables and what it records in them:
// schema_migrations (each migration's checksum, phase, who applied it, how
// long it took, whether it succeeded, the steps an interrupted run did),
// schema_backfills (the rows migrate/backfill.h registers and advances) and
// schema_transitions (the column transitions a migration installed and the
// one that completed them). Also what is worked out from that history:
// ValidateHistory, StepsChecksum, AppliedBy.
//
// Functions run on the caller's connection, inside whatever transaction it
// has open; one thread at a time, as the Connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/connection.h"
#include "migrate/migration.h"
#include "migrate/plan.h"

namespace payments::migrate {

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

// Creates the tables when missing (idempotent; run under the advisory lock).
payments::Status EnsureHistoryTables(db::Connection& conn);

// The history, oldest first; empty when the table does not exist yet.
payments::Result<std::vector<AppliedMigration>> ReadHistory(db::Connection& conn);
// Every registered backfill, by version and ordinal; empty without the table.
payments::Result<std::vector<BackfillState>> ReadBackfills(db::Connection& conn);

// Writes (or rewrites) the history row of m: applied whole (success, every
// step done), or the progress of a run of several steps that stopped.
struct HistoryRecord {
  int64_t execution_ms = 0;
  bool success = false;
  std::optional<std::string> error;
  int steps_done = 0;
  std::optional<std::string> steps_checksum;  // StepsChecksum of the steps done
};
payments::Status RecordHistory(db::Connection& conn, const Migration& m,
                               const HistoryRecord& record);
// Down: forgets the migration (its transitions, backfills and history row).
payments::Status ForgetMigration(db::Connection& conn, int64_t version);

// The column transitions migration `version` installed, in one state
// ("active" or "completed"), by ordinal.
payments::Result<std::vector<InstalledTransition>> ReadTransitions(db::Connection& conn,
                                                                   int64_t version,
                                                                   const char* state);
// Records a transition as installed (active).
payments::Status RecordTransition(db::Connection& conn, const InstalledTransition& t);
// Marks the active transitions of `version` completed by migration `by`.
payments::Status MarkTransitionsCompleted(db::Connection& conn, int64_t version, int64_t by);

// Problems `migrate validate` reports: an applied migration whose file
// changed (checksum) or is missing, and gaps (a migration that is not applied
// while a later one is, other than a contract waiting for its rollout).
std::vector<std::string> ValidateHistory(const std::vector<Migration>& files,
                                         const std::vector<AppliedMigration>& history);

// SHA-256 of the SQL of the first `count` steps: what a resumed run checks.
std::string StepsChecksum(const std::vector<Step>& steps, int count);

// The applied_by text for this binary on this host.
std::string AppliedBy();

}  // namespace payments::migrate
