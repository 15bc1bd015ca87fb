#include "migrate/history.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/build_info.h"
#include "core/crypto.h"

namespace payments::migrate {
namespace {

// The engine's own tables. IF NOT EXISTS keeps this idempotent; it runs under
// the advisory lock, so two migrators never race to create them.
constexpr std::string_view kCreateTables = R"sql(
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS schema_migrations (
  version       bigint PRIMARY KEY,
  name          text NOT NULL,
  checksum      text NOT NULL,
  phase         text NOT NULL,
  applied_at    timestamptz NOT NULL DEFAULT now(),
  applied_by    text NOT NULL,
  execution_ms  bigint NOT NULL,
  success       boolean NOT NULL,
  error         text
);
ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS steps_done integer NOT NULL DEFAULT 0;
ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS steps_checksum text;
CREATE TABLE IF NOT EXISTS schema_backfills (
  version        bigint NOT NULL,
  ordinal        integer NOT NULL,
  table_name     text NOT NULL,
  key_column     text NOT NULL,
  set_sql        text NOT NULL,
  condition_sql  text NOT NULL,
  origin         text NOT NULL,
  last_key       text,
  rows_updated   bigint NOT NULL DEFAULT 0,
  keys_done      bigint NOT NULL DEFAULT 0,
  state          text NOT NULL DEFAULT 'pending',
  started_at     timestamptz,
  updated_at     timestamptz,
  finished_at    timestamptz,
  PRIMARY KEY (version, ordinal)
);
CREATE TABLE IF NOT EXISTS schema_transitions (
  version        bigint NOT NULL,
  ordinal        integer NOT NULL,
  table_name     text NOT NULL,
  old_columns    text[] NOT NULL,
  new_columns    text[] NOT NULL,
  function_name  text NOT NULL,
  trigger_name   text NOT NULL,
  state          text NOT NULL,
  completed_by   bigint,
  PRIMARY KEY (version, ordinal)
))sql";

constexpr std::string_view kUpsertHistory =
    "INSERT INTO schema_migrations (version, name, checksum, phase, applied_by, execution_ms, "
    "success, error, steps_done, steps_checksum) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
    "ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum = EXCLUDED.checksum, "
    "phase = EXCLUDED.phase, applied_at = now(), applied_by = EXCLUDED.applied_by, "
    "execution_ms = EXCLUDED.execution_ms, success = EXCLUDED.success, error = EXCLUDED.error, "
    "steps_done = EXCLUDED.steps_done, steps_checksum = EXCLUDED.steps_checksum";

std::vector<std::string> ParseTextArray(std::string_view a) {
  // PostgreSQL's text form of text[] of simple names: {a,b}
  std::vector<std::string> out;
  if (a.size() < 2) return out;
  a = a.substr(1, a.size() - 2);
  size_t pos = 0;
  while (pos <= a.size() && !a.empty()) {
    size_t comma = a.find(',', pos);
    if (comma == std::string_view::npos) comma = a.size();
    std::string item(a.substr(pos, comma - pos));
    if (item.size() >= 2 && item.front() == '"') item = item.substr(1, item.size() - 2);
    out.push_back(item);
    pos = comma + 1;
  }
  return out;
}

}  // namespace

payments::Status EnsureHistoryTables(db::Connection& conn) {
  auto r = conn.ExecScript(kCreateTables);
  if (!r) return std::unexpected(r.error());
  return {};
}

payments::Result<std::vector<AppliedMigration>> ReadHistory(db::Connection& conn) {
  auto exists = conn.Exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!exists) return std::unexpected(exists.error());
  if (!exists->Bool(0, 0)) return std::vector<AppliedMigration>{};
  auto rows = conn.Exec(
      "SELECT version, name, checksum, phase, "
      "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), applied_by, "
      "execution_ms, success, error, steps_done, coalesce(steps_checksum, '') "
      "FROM schema_migrations ORDER BY version");
  if (!rows) return std::unexpected(rows.error());
  std::vector<AppliedMigration> out;
  for (int r = 0; r < rows->size(); ++r) {
    AppliedMigration a;
    a.version = rows->Int64(r, 0);
    a.name = rows->String(r, 1);
    a.checksum = rows->String(r, 2);
    a.phase = ParsePhase(rows->Text(r, 3)).value_or(Phase::kNone);
    a.applied_at = rows->String(r, 4);
    a.applied_by = rows->String(r, 5);
    a.execution_ms = rows->Int64(r, 6);
    a.success = rows->Bool(r, 7);
    a.error = rows->OptionalString(r, 8);
    a.steps_done = static_cast<int>(rows->Int64(r, 9));
    a.steps_checksum = rows->String(r, 10);
    out.push_back(std::move(a));
  }
  return out;
}

payments::Result<std::vector<BackfillState>> ReadBackfills(db::Connection& conn) {
  auto exists = conn.Exec("SELECT to_regclass('schema_backfills') IS NOT NULL");
  if (!exists) return std::unexpected(exists.error());
  if (!exists->Bool(0, 0)) return std::vector<BackfillState>{};
  auto rows = conn.Exec(
      "SELECT version, ordinal, table_name, origin, state, keys_done, rows_updated "
      "FROM schema_backfills ORDER BY version, ordinal");
  if (!rows) return std::unexpected(rows.error());
  std::vector<BackfillState> out;
  for (int r = 0; r < rows->size(); ++r) {
    out.push_back({rows->Int64(r, 0), static_cast<int>(rows->Int64(r, 1)), rows->String(r, 2),
                   rows->String(r, 3), rows->String(r, 4), rows->Int64(r, 5), rows->Int64(r, 6)});
  }
  return out;
}

payments::Status RecordHistory(db::Connection& conn, const Migration& m,
                               const HistoryRecord& record) {
  db::Params p;
  p.Add(m.version).Add(m.name).Add(m.checksum).Add(ToString(m.phase)).Add(AppliedBy());
  p.Add(record.execution_ms)
      .Add(record.success)
      .Add(record.error)
      .Add(record.steps_done)
      .Add(record.steps_checksum);
  if (auto r = conn.Exec(kUpsertHistory, p); !r) return std::unexpected(r.error());
  return {};
}

payments::Status ForgetMigration(db::Connection& conn, int64_t version) {
  for (const char* sql : {"DELETE FROM schema_transitions WHERE version = $1",
                          "DELETE FROM schema_backfills WHERE version = $1",
                          "DELETE FROM schema_migrations WHERE version = $1"}) {
    if (auto r = conn.Exec(sql, db::Params().Add(version)); !r) return std::unexpected(r.error());
  }
  return {};
}

payments::Result<std::vector<InstalledTransition>> ReadTransitions(db::Connection& conn,
                                                                   int64_t version,
                                                                   const char* state) {
  auto rows = conn.Exec(
      "SELECT ordinal, table_name, old_columns, new_columns, function_name, trigger_name "
      "FROM schema_transitions WHERE version = $1 AND state = $2 ORDER BY ordinal",
      db::Params().Add(version).Add(state));
  if (!rows) return std::unexpected(rows.error());
  std::vector<InstalledTransition> out;
  for (int r = 0; r < rows->size(); ++r) {
    InstalledTransition t;
    t.version = version;
    t.ordinal = static_cast<int>(rows->Int64(r, 0));
    t.table = rows->String(r, 1);
    t.old_columns = ParseTextArray(rows->Text(r, 2));
    t.new_columns = ParseTextArray(rows->Text(r, 3));
    t.function_name = rows->String(r, 4);
    t.trigger_name = rows->String(r, 5);
    out.push_back(std::move(t));
  }
  return out;
}

payments::Status RecordTransition(db::Connection& conn, const InstalledTransition& t) {
  auto r = conn.Exec(
      "INSERT INTO schema_transitions (version, ordinal, table_name, old_columns, "
      "new_columns, function_name, trigger_name, state) VALUES ($1, $2, $3, $4, $5, "
      "$6, $7, 'active') ON CONFLICT (version, ordinal) DO UPDATE SET state = 'active', "
      "completed_by = NULL",
      db::Params()
          .Add(t.version)
          .Add(t.ordinal)
          .Add(t.table)
          .Add(db::TextArray(t.old_columns))
          .Add(db::TextArray(t.new_columns))
          .Add(t.function_name)
          .Add(t.trigger_name));
  if (!r) return std::unexpected(r.error());
  return {};
}

payments::Status MarkTransitionsCompleted(db::Connection& conn, int64_t version, int64_t by) {
  auto r = conn.Exec(
      "UPDATE schema_transitions SET state = 'completed', completed_by = $2 "
      "WHERE version = $1 AND state = 'active'",
      db::Params().Add(version).Add(by));
  if (!r) return std::unexpected(r.error());
  return {};
}

std::vector<std::string> ValidateHistory(const std::vector<Migration>& files,
                                         const std::vector<AppliedMigration>& history) {
  std::vector<std::string> problems;
  std::map<int64_t, const Migration*> by_version;
  for (const Migration& m : files) by_version[m.version] = &m;
  int64_t max_applied = 0;
  int64_t max_contract = 0;
  std::set<int64_t> applied;
  for (const AppliedMigration& a : history) {
    if (!a.success && a.steps_done == 0) continue;  // failed and rolled back: nothing applied
    auto f = by_version.find(a.version);
    if (f == by_version.end()) {
      problems.push_back(fmt::format("migration {} ({}) is applied but its file is missing",
                                     FormatVersion(a.version), a.name));
    } else if (f->second->checksum != a.checksum) {
      problems.push_back(fmt::format(
          "{} changed after it was applied (SHA-256 {} applied, {} now); restore it and put the "
          "change in a new migration",
          f->second->filename, a.checksum.substr(0, 12), f->second->checksum.substr(0, 12)));
    }
    if (!a.success) continue;
    applied.insert(a.version);
    max_applied = std::max(max_applied, a.version);
    if (a.phase == Phase::kContract) max_contract = std::max(max_contract, a.version);
  }
  for (const Migration& m : files) {
    if (applied.contains(m.version)) continue;
    // A contract may wait for its rollout while later expands go in; anything
    // else below an applied migration is a hole.
    const int64_t bound = m.phase == Phase::kContract ? max_contract : max_applied;
    if (m.version < bound) {
      problems.push_back(fmt::format("gap: {} is not applied but later migration {} is", m.filename,
                                     FormatVersion(bound)));
    }
  }
  return problems;
}

std::string StepsChecksum(const std::vector<Step>& steps, int count) {
  std::string all;
  for (int i = 0; i < count && i < static_cast<int>(steps.size()); ++i) {
    for (const PlannedStatement& st : steps[i].statements) all += st.sql + ";\n";
    for (int64_t v : steps[i].completes) all += fmt::format("complete-transition {};\n", v);
  }
  return Sha256Hex(all);
}

std::string AppliedBy() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  const BuildInfo& b = GetBuildInfo();
  return fmt::format("payments {} ({}) on {}", b.version, b.commit, host);
}

}  // namespace payments::migrate
