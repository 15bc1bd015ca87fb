// How the engine runs a migration: its statements grouped into steps, each
// step either one short transaction or one statement that PostgreSQL cannot
// run inside a transaction (CREATE/DROP INDEX CONCURRENTLY, REINDEX
// CONCURRENTLY, ALTER TYPE ... ADD VALUE, VACUUM), run on its own; the SQL
// that installs, completes or removes a column transition; and the batched
// backfills that follow. Pure functions over values; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "migrate/migration.h"

namespace payments::migrate {

struct PlannedStatement {
  std::string sql;
  int line = 0;  // in the migration file (the directive's line for generated SQL)
};

enum class StepKind {
  kTransaction,  // the statements in one transaction
  kOnItsOwn,     // one statement outside any transaction
};

struct Step {
  StepKind kind = StepKind::kTransaction;
  std::string description;  // "statements at lines 5-12", for plans and errors
  std::vector<PlannedStatement> statements;
  // kOnItsOwn, CREATE INDEX CONCURRENTLY: the index a failed build leaves
  // INVALID, dropped before a retry.
  std::string index_name;
  // kOnItsOwn, REINDEX ... CONCURRENTLY: its failed builds leave INVALID
  // "<index>_ccnew" indexes on this table (or on the index's table).
  std::string reindex_target;
  bool reindex_index = false;  // REINDEX INDEX (else TABLE)
  // Transitions (by position in Migration::transitions) this step installs.
  std::vector<size_t> installs;
  // Versions whose transitions this step completes (SQL added at run time
  // from the transitions the database records).
  std::vector<int64_t> completes;
};

// A transition as installed: what the engine records and needs later.
struct InstalledTransition {
  int64_t version = 0;
  int ordinal = 0;  // position in the migration's transitions
  std::string table;
  std::vector<std::string> old_columns;
  std::vector<std::string> new_columns;
  std::string function_name;  // schema-qualified when the table is
  std::string trigger_name;
};

// A backfill as the runner executes it: UPDATE <table> SET <set> WHERE <key
// range> AND (<condition>).
struct BackfillSpec {
  int ordinal = 0;
  std::string table;
  std::string set;
  std::string condition;  // may be empty
  std::string origin;     // "backfill at line 4", "transition on payments at line 3"
};

// The steps of a migration (up), or of its undo file (down). Fails when a
// statement controls transactions (BEGIN, COMMIT, ...): the engine does.
payments::Result<std::vector<Step>> PlanUp(const Migration& m);
payments::Result<std::vector<Step>> PlanDown(const Migration& m);

// The backfills that run after the migration's steps: one per transition
// (touching pre-existing rows so the trigger fills the new columns), then the
// declared ones, in order.
std::vector<BackfillSpec> PlanBackfills(const Migration& m);

// Names and SQL of column transitions.
InstalledTransition DescribeTransition(int64_t version, int ordinal, const Transition& t);
std::vector<PlannedStatement> InstallTransitionSql(const InstalledTransition& it,
                                                   const Transition& t);
// Drops the trigger, its function and the old columns (the contract step).
std::vector<PlannedStatement> CompleteTransitionSql(const InstalledTransition& it);
// Drops the trigger, its function and the new columns (undo of the expand).
std::vector<PlannedStatement> RemoveTransitionSql(const InstalledTransition& it);

// "payments" -> "\"payments\"", "shop.orders" -> "\"shop\".\"orders\"".
std::string QuoteTableName(const std::string& table);

// What kind of statement, by its first keywords.
bool IsTransactionControl(const Statement& s);
bool MustRunOnItsOwn(const Statement& s);

}  // namespace payments::migrate
