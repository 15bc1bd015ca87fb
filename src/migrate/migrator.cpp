#include "migrate/migrator.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "core/build_info.h"
#include "core/crypto.h"
#include "migrate/retry.h"
#include "store/instance_store.h"

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

// The statement as an error message shows it: its first line, shortened.
std::string Excerpt(std::string_view sql) {
  std::string s(sql.substr(0, sql.find('\n')));
  if (s.size() > 100) s = s.substr(0, 97) + "...";
  if (s.size() < sql.size()) s += " ...";
  return s;
}

}  // namespace

std::string StepsChecksum(const std::vector<Step>& steps, int count) {
  std::string all;
  for (int i = 0; i < count && i < static_cast<int>(steps.size()); ++i) {
    for (const PlannedStatement& st : steps[i].statements) all += st.sql + ";\n";
    for (int64_t v : steps[i].completes) all += fmt::format("complete-transition {};\n", v);
  }
  return Sha256Hex(all);
}

namespace {

int64_t MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

bool Selected(const Migration& m, PhaseFilter f) {
  switch (f) {
    case PhaseFilter::kAll:
      return true;
    case PhaseFilter::kExpand:
      return m.phase != Phase::kContract;
    case PhaseFilter::kContract:
      return m.phase == Phase::kContract;
  }
  return true;
}

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

std::string AppliedBy() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  const BuildInfo& b = GetBuildInfo();
  return fmt::format("payments {} ({}) on {}", b.version, b.commit, host);
}

Migrator::Migrator(db::Connection& conn, std::vector<Migration> migrations, MigratorOptions options)
    : conn_(conn), migrations_(std::move(migrations)), options_(std::move(options)) {}

void Migrator::Emit(EventKind kind, std::string message) {
  if (!options_.on_event) return;
  MigratorEvent e;
  e.kind = kind;
  e.message = std::move(message);
  options_.on_event(e);
}

payments::Status Migrator::EnsureTables() {
  auto r = conn_.ExecScript(kCreateTables);
  if (!r) return std::unexpected(r.error());
  return {};
}

payments::Status Migrator::Lock() {
  if (options_.lock_wait.count() == 0) {
    auto r = conn_.Exec("SELECT pg_try_advisory_lock($1)", db::Params().Add(kMigrationLockKey));
    if (!r) return std::unexpected(r.error());
    if (r->Bool(0, 0)) return {};
  } else {
    // The server waits for us; lock_timeout bounds the wait.
    auto set = conn_.Exec(fmt::format("SET lock_timeout = {}",
                                      std::chrono::milliseconds(options_.lock_wait).count()));
    if (!set) return std::unexpected(set.error());
    auto r = conn_.Exec("SELECT pg_advisory_lock($1)", db::Params().Add(kMigrationLockKey));
    (void)conn_.Exec("RESET lock_timeout");
    if (r) return {};
    if (r.error().sqlstate != db::kLockNotAvailable) return std::unexpected(r.error());
  }
  auto holder = conn_.Exec(
      "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local') "
      "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
      "AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = $1 "
      "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      db::Params().Add(kMigrationLockKey));
  std::string who;
  if (holder && !holder->empty()) {
    who = fmt::format(" by pid {} ({}, {})", holder->Text(0, 0), holder->Text(0, 1),
                      holder->Text(0, 2));
  }
  return std::unexpected(Error::Of(
      ErrorKind::kStateConflict, "migration_locked",
      fmt::format("another migration is running (advisory lock held{}); waited {} s; try again "
                  "or pass --wait",
                  who, options_.lock_wait.count())));
}

void Migrator::Unlock() {
  (void)conn_.Exec("SELECT pg_advisory_unlock($1)", db::Params().Add(kMigrationLockKey));
}

payments::Result<std::vector<AppliedMigration>> Migrator::History() {
  auto exists = conn_.Exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!exists) return std::unexpected(exists.error());
  if (!exists->Bool(0, 0)) return std::vector<AppliedMigration>{};
  auto rows = conn_.Exec(
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

payments::Result<std::vector<BackfillState>> Migrator::Backfills() {
  auto exists = conn_.Exec("SELECT to_regclass('schema_backfills') IS NOT NULL");
  if (!exists) return std::unexpected(exists.error());
  if (!exists->Bool(0, 0)) return std::vector<BackfillState>{};
  auto rows = conn_.Exec(
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

payments::Result<std::vector<InstalledTransition>> Migrator::LoadTransitions(int64_t version,
                                                                             const char* state) {
  auto rows = conn_.Exec(
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

BackfillOptions Migrator::MakeBackfillOptions(const Migration* m) {
  BackfillOptions o;
  o.batch_size = options_.batch_size;
  o.pause = options_.batch_pause;
  o.lock_timeout = m && m->lock_timeout ? *m->lock_timeout : options_.default_lock_timeout;
  o.statement_timeout =
      m && m->statement_timeout ? *m->statement_timeout : options_.default_statement_timeout;
  o.lock_retries = options_.lock_retries;
  o.backoff_initial = options_.backoff_initial;
  o.backoff_max = options_.backoff_max;
  o.on_progress = [this](const BackfillProgress& p) {
    if (!options_.on_event) return;
    MigratorEvent e;
    e.kind = EventKind::kProgress;
    e.progress = p;
    options_.on_event(e);
  };
  o.on_retry = [this](const std::string& message) { Emit(EventKind::kRetry, message); };
  return o;
}

payments::Status Migrator::RunBackfills(int64_t version) {
  const Migration* m = nullptr;
  for (const Migration& x : migrations_) {
    if (x.version == version) m = &x;
  }
  auto all = Backfills();
  if (!all) return std::unexpected(all.error());
  for (const BackfillState& b : *all) {
    if (b.version != version || b.state == "done") continue;
    Emit(EventKind::kInfo,
         fmt::format("{}: backfill of {} ({}){}", FormatVersion(version), b.table, b.origin,
                     b.keys_done > 0 ? fmt::format(", resuming after {} rows", b.keys_done) : ""));
    if (auto s = RunBackfill(conn_, version, b.ordinal, MakeBackfillOptions(m)); !s) {
      Error e = s.error();
      e.message = fmt::format("{}: {}", m ? m->filename : FormatVersion(version), e.message);
      e.code = "migration_failed";
      return std::unexpected(std::move(e));
    }
  }
  return {};
}

payments::Result<std::vector<store::Instance>> Migrator::LiveInstances() {
  auto live = store::ListLiveInstances(conn_, options_.instance_stale_after);
  if (!live && live.error().sqlstate == db::kUndefinedTable) {
    return std::vector<store::Instance>{};  // no registry yet: nobody registered
  }
  return live;
}

payments::Status Migrator::Interlock(const Migration& m, bool contract) {
  auto live = LiveInstances();
  if (!live) return std::unexpected(live.error());
  std::string list;
  int count = 0;
  for (const store::Instance& i : *live) {
    // A contract harms binaries built without it; a down, those built with it.
    if (contract ? i.schema_version >= m.version : i.schema_version < m.version) continue;
    ++count;
    list += fmt::format(
        "\n  {} (payments {} on {} pid {}, built with migrations up to {}, "
        "heartbeat {})",
        i.id, i.binary_version, i.host, i.pid, FormatVersion(i.schema_version), i.heartbeat_at);
  }
  if (count == 0) return {};
  if (options_.force) {
    Emit(EventKind::kWarning,
         contract ? fmt::format("--force: applying contract migration {} although {} live "
                                "instance(s) were built without it and may fail:{}",
                                m.filename, count, list)
                  : fmt::format("--force: undoing {} although {} live instance(s) were built "
                                "with it:{}",
                                m.filename, count, list));
    return {};
  }
  if (contract) {
    return std::unexpected(Error::Of(
        ErrorKind::kStateConflict, "contract_interlock",
        fmt::format("contract migration {} refuses to run: {} live instance(s) were built without "
                    "it and may still read what it removes:{}\nfinish the rollout (or stop "
                    "them), or pass --force",
                    m.filename, count, list)));
  }
  return std::unexpected(Error::Of(
      ErrorKind::kStateConflict, "down_interlock",
      fmt::format("refusing to undo {}: {} live instance(s) were built with it and may use what "
                  "it added:{}\nroll the binary back first, or pass --force",
                  m.filename, count, list)));
}

payments::Status Migrator::CheckContractInterlock(const Migration& m) {
  auto unfinished = Backfills();
  if (!unfinished) return std::unexpected(unfinished.error());
  for (const BackfillState& b : *unfinished) {
    if (b.version < m.version && b.state != "done") {
      return std::unexpected(Error::Of(
          ErrorKind::kStateConflict, "backfill_unfinished",
          fmt::format("contract migration {} refuses to run: the backfill of {} ({}) by "
                      "migration {} is not finished; run `payments migrate up --phase expand`",
                      m.filename, b.table, b.origin, FormatVersion(b.version))));
    }
  }
  return Interlock(m, true);
}

payments::Status Migrator::RunSteps(const Migration& m, const std::vector<Step>& steps,
                                    int first_step, bool down) {
  const auto started = std::chrono::steady_clock::now();
  const std::string file =
      down ? fmt::format("{}_{}.down.sql", FormatVersion(m.version), m.name) : m.filename;
  const auto lock_timeout = m.lock_timeout.value_or(options_.default_lock_timeout);
  const int total = static_cast<int>(steps.size());

  // What the last step's transaction also records: the migration applied (and
  // its backfills registered), or, for down, its history gone.
  auto finalize = [&]() -> payments::Status {
    if (down) {
      for (const char* sql : {"DELETE FROM schema_transitions WHERE version = $1",
                              "DELETE FROM schema_backfills WHERE version = $1",
                              "DELETE FROM schema_migrations WHERE version = $1"}) {
        if (auto r = conn_.Exec(sql, db::Params().Add(m.version)); !r) {
          return std::unexpected(r.error());
        }
      }
      return {};
    }
    for (const BackfillSpec& b : PlanBackfills(m)) {
      if (auto s = RegisterBackfill(conn_, m.version, b); !s) return s;
    }
    db::Params p;
    p.Add(m.version).Add(m.name).Add(m.checksum).Add(ToString(m.phase)).Add(AppliedBy());
    p.Add(MsSince(started)).Add(true).AddNull().Add(total).AddNull();
    if (auto r = conn_.Exec(kUpsertHistory, p); !r) return std::unexpected(r.error());
    return {};
  };
  // Progress of a migration of several steps, so a rerun continues after them.
  auto record_progress = [&](int steps_done, const std::optional<std::string>& error) {
    if (down) return payments::Status{};
    db::Params p;
    p.Add(m.version).Add(m.name).Add(m.checksum).Add(ToString(m.phase)).Add(AppliedBy());
    p.Add(MsSince(started))
        .Add(false)
        .Add(error)
        .Add(steps_done)
        .Add(StepsChecksum(steps, steps_done));
    auto r = conn_.Exec(kUpsertHistory, p);
    if (!r) return payments::Status(std::unexpected(r.error()));
    return payments::Status{};
  };
  auto fail = [&](int step, std::string message, const Error& cause) -> payments::Status {
    if (conn_.in_transaction()) (void)conn_.Exec("ROLLBACK");
    (void)record_progress(step, message);
    Error e = cause;
    e.kind = ErrorKind::kInternal;
    e.code = "migration_failed";
    e.message = std::move(message);
    return std::unexpected(std::move(e));
  };
  auto statement_error = [&](const PlannedStatement& st, const Error& e) {
    if (st.line > 0)
      return fmt::format("{}:{}: {}: {}", file, st.line, Excerpt(st.sql), ErrorDetail(e));
    return fmt::format("{}: (generated) {}: {}", file, Excerpt(st.sql), ErrorDetail(e));
  };

  if (steps.empty() || first_step >= total) {
    if (auto b = conn_.Exec("BEGIN"); !b) return std::unexpected(b.error());
    if (auto s = finalize(); !s)
      return fail(first_step, fmt::format("{}: {}", file, ErrorDetail(s.error())), s.error());
    if (auto c = conn_.Exec("COMMIT"); !c)
      return fail(first_step, ErrorDetail(c.error()), c.error());
    return {};
  }

  for (int i = first_step; i < total; ++i) {
    const Step& step = steps[i];
    const bool last = i == total - 1;
    if (total > 1) {
      Emit(EventKind::kInfo, fmt::format("{}: step {}/{}: {}", FormatVersion(m.version), i + 1,
                                         total, step.description));
    }
    for (int attempt = 1;; ++attempt) {
      std::optional<Error> error;
      std::string message;
      if (step.kind == StepKind::kTransaction) {
        const auto statement_timeout =
            m.statement_timeout.value_or(options_.default_statement_timeout);
        auto run = [&]() -> payments::Status {
          if (auto b = conn_.ExecScript(fmt::format(
                  "BEGIN; SET LOCAL lock_timeout = {}; SET LOCAL statement_timeout = {}",
                  lock_timeout.count(), statement_timeout.count()));
              !b) {
            message = fmt::format("{}: {}", file, ErrorDetail(b.error()));
            return std::unexpected(b.error());
          }
          std::vector<PlannedStatement> statements;
          for (int64_t v : step.completes) {
            auto active = LoadTransitions(v, "active");
            if (!active) return std::unexpected(active.error());
            if (active->empty()) {
              auto completed = LoadTransitions(v, "completed");
              if (!completed) return std::unexpected(completed.error());
              if (completed->empty()) {
                Error e = Error::InvalidRequest(
                    "no_transition",
                    fmt::format("migration {} installed no column transition", FormatVersion(v)));
                message = fmt::format("{}: migrate:complete-transition {}: {}", file,
                                      FormatVersion(v), e.message);
                return std::unexpected(e);
              }
            }
            for (const InstalledTransition& t : *active) {
              for (PlannedStatement& s : CompleteTransitionSql(t))
                statements.push_back(std::move(s));
            }
            auto mark = conn_.Exec(
                "UPDATE schema_transitions SET state = 'completed', completed_by = $2 "
                "WHERE version = $1 AND state = 'active'",
                db::Params().Add(v).Add(m.version));
            if (!mark) return std::unexpected(mark.error());
          }
          for (const PlannedStatement& st : step.statements) statements.push_back(st);
          for (const PlannedStatement& st : statements) {
            if (auto r = conn_.ExecScript(st.sql); !r) {
              message = statement_error(st, r.error());
              return std::unexpected(r.error());
            }
          }
          for (size_t idx : step.installs) {
            const InstalledTransition t =
                DescribeTransition(m.version, static_cast<int>(idx), m.transitions[idx]);
            auto r = conn_.Exec(
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
          }
          auto done = last ? finalize() : record_progress(i + 1, std::nullopt);
          if (!done) {
            if (message.empty()) message = fmt::format("{}: {}", file, ErrorDetail(done.error()));
            return done;
          }
          if (auto c = conn_.Exec("COMMIT"); !c) return std::unexpected(c.error());
          return {};
        };
        if (auto s = run(); !s) error = s.error();
      } else {
        const PlannedStatement& st = step.statements.front();
        const auto statement_timeout = m.statement_timeout.value_or(std::chrono::milliseconds(0));
        auto run = [&]() -> payments::Status {
          if (auto s =
                  conn_.ExecScript(fmt::format("SET lock_timeout = {}; SET statement_timeout = {}",
                                               lock_timeout.count(), statement_timeout.count()));
              !s) {
            return std::unexpected(s.error());
          }
          bool skip = false;
          if (!step.index_name.empty()) {
            auto idx = conn_.Exec(
                "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass($1)",
                db::Params().Add(step.index_name));
            if (!idx) return std::unexpected(idx.error());
            if (!idx->empty() && !idx->Bool(0, 0)) {
              Emit(EventKind::kInfo,
                   fmt::format("{}: dropping INVALID index {} left by a failed concurrent build",
                               FormatVersion(m.version), step.index_name));
              auto d = conn_.ExecScript("DROP INDEX CONCURRENTLY IF EXISTS " + step.index_name);
              if (!d) return std::unexpected(d.error());
            } else if (!idx->empty() && i == first_step && first_step > 0) {
              // Built by the interrupted run, which died before recording it.
              skip = true;
            }
          }
          if (!step.reindex_target.empty()) {
            auto leftovers = conn_.Exec(
                "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = "
                "i.indexrelid WHERE NOT i.indisvalid AND c.relname ~ '_ccnew[0-9]*$' AND "
                "i.indrelid = CASE WHEN $2 THEN (SELECT indrelid FROM pg_index WHERE indexrelid = "
                "to_regclass($1)) ELSE to_regclass($1) END",
                db::Params().Add(step.reindex_target).Add(step.reindex_index));
            if (!leftovers) return std::unexpected(leftovers.error());
            for (int r = 0; r < leftovers->size(); ++r) {
              Emit(EventKind::kInfo,
                   fmt::format("{}: dropping INVALID index {} left by a failed REINDEX",
                               FormatVersion(m.version), leftovers->Text(r, 0)));
              auto d =
                  conn_.ExecScript("DROP INDEX CONCURRENTLY IF EXISTS " + leftovers->String(r, 0));
              if (!d) return std::unexpected(d.error());
            }
          }
          if (!skip) {
            if (auto r = conn_.ExecScript(st.sql); !r) {
              message = statement_error(st, r.error());
              (void)conn_.ExecScript("RESET lock_timeout; RESET statement_timeout");
              return std::unexpected(r.error());
            }
          }
          (void)conn_.ExecScript("RESET lock_timeout; RESET statement_timeout");
          if (last) {
            if (auto b = conn_.Exec("BEGIN"); !b) return std::unexpected(b.error());
            if (auto f = finalize(); !f) return f;
            if (auto c = conn_.Exec("COMMIT"); !c) return std::unexpected(c.error());
            return {};
          }
          return record_progress(i + 1, std::nullopt);
        };
        if (auto s = run(); !s) error = s.error();
      }
      if (!error) break;
      if (conn_.in_transaction()) (void)conn_.Exec("ROLLBACK");
      if (message.empty()) message = fmt::format("{}: {}", file, ErrorDetail(*error));
      if (IsRetryable(*error) && attempt <= options_.lock_retries) {
        const auto wait = RetryBackoff(attempt, options_.backoff_initial, options_.backoff_max);
        Emit(EventKind::kRetry,
             fmt::format("{}: {} (lock_timeout {} ms); retrying in {} ms (attempt {} of {})",
                         FormatVersion(m.version), message, lock_timeout.count(), wait.count(),
                         attempt + 1, options_.lock_retries + 1));
        std::this_thread::sleep_for(wait);
        continue;
      }
      if (IsRetryable(*error)) {
        message += fmt::format(" (gave up after {} attempts)", attempt);
      }
      return fail(i, std::move(message), *error);
    }
  }
  return {};
}

payments::Status Migrator::Apply(const Migration& m, int first_step) {
  auto steps = migrate::PlanUp(m);
  if (!steps) return std::unexpected(steps.error());
  Emit(EventKind::kInfo,
       fmt::format("applying {} ({}){}", m.filename, ToString(m.phase),
                   first_step > 0 ? fmt::format(", resuming at step {}", first_step + 1) : ""));
  const auto started = std::chrono::steady_clock::now();
  if (auto s = RunSteps(m, *steps, first_step, false); !s) return s;
  Emit(EventKind::kInfo, fmt::format("applied {} in {} ms", m.filename, MsSince(started)));
  return {};
}

payments::Result<UpReport> Migrator::Up(const UpOptions& options) {
  // Refuse malformed migrations before taking anything.
  for (const Migration& m : migrations_) {
    if (auto s = migrate::PlanUp(m); !s) return std::unexpected(s.error());
  }
  if (auto s = Lock(); !s) return std::unexpected(s.error());
  auto result = [&]() -> payments::Result<UpReport> {
    if (auto s = EnsureTables(); !s) return std::unexpected(s.error());
    UpReport report;
    auto pending = FindPending(options);
    if (!pending) return std::unexpected(pending.error());
    const std::map<int64_t, AppliedMigration>& rows = pending->applied;

    // Backfills a killed run left unfinished come first: later migrations may
    // rely on them.
    std::set<int64_t> unfinished;
    for (const BackfillState& b : pending->unfinished_backfills) unfinished.insert(b.version);
    for (int64_t v : unfinished) {
      if (auto s = RunBackfills(v); !s) return std::unexpected(s.error());
      report.backfilled.push_back(v);
    }

    for (const Migration* pending_migration : pending->migrations) {
      const Migration& m = *pending_migration;
      auto row = rows.find(m.version);
      if (options.phase == PhaseFilter::kContract) {
        for (const Migration& earlier : migrations_) {
          if (earlier.version >= m.version) break;
          auto r = rows.find(earlier.version);
          if (earlier.phase != Phase::kContract && (r == rows.end() || !r->second.success)) {
            return std::unexpected(Error::Of(
                ErrorKind::kStateConflict, "expand_pending",
                fmt::format("{} ({}) is not applied and comes before contract migration {}; run "
                            "`payments migrate up --phase expand` first",
                            earlier.filename, ToString(earlier.phase), m.filename)));
          }
        }
      }
      int first_step = 0;
      if (row != rows.end() && row->second.steps_done > 0) {
        // The steps done must be the ones this file would run; what follows
        // them may have been fixed since the failure.
        first_step = row->second.steps_done;
        auto steps = migrate::PlanUp(m);
        if (!steps) return std::unexpected(steps.error());
        if (StepsChecksum(*steps, first_step) != row->second.steps_checksum) {
          return std::unexpected(Error::Of(
              ErrorKind::kStateConflict, "partial_migration_changed",
              fmt::format("{} was partially applied ({} step(s) done) and those steps changed in "
                          "the file since; restore them (only later steps may change), or undo "
                          "them by hand and delete its row from schema_migrations",
                          m.filename, first_step)));
        }
      }
      if (m.phase == Phase::kContract) {
        if (auto s = CheckContractInterlock(m); !s) return std::unexpected(s.error());
      }
      if (auto s = Apply(m, first_step); !s) return std::unexpected(s.error());
      report.applied.push_back(m.version);
      if (!PlanBackfills(m).empty()) {
        if (auto s = RunBackfills(m.version); !s) return std::unexpected(s.error());
        report.backfilled.push_back(m.version);
      }
    }
    return report;
  }();
  Unlock();
  return result;
}

payments::Result<Migrator::Pending> Migrator::FindPending(const UpOptions& options) {
  Pending pending;
  auto history = History();
  if (!history) return std::unexpected(history.error());
  for (AppliedMigration& a : *history) pending.applied[a.version] = std::move(a);
  auto backfills = Backfills();
  if (!backfills) return std::unexpected(backfills.error());
  for (BackfillState& b : *backfills) {
    if (b.state != "done" && (!options.to || b.version <= *options.to)) {
      pending.unfinished_backfills.push_back(std::move(b));
    }
  }
  for (const Migration& m : migrations_) {
    if (options.to && m.version > *options.to) break;
    auto row = pending.applied.find(m.version);
    if (row != pending.applied.end() && row->second.success) continue;
    if (Selected(m, options.phase)) pending.migrations.push_back(&m);
  }
  return pending;
}

payments::Result<UpPlan> Migrator::Plan(const UpOptions& options) {
  UpPlan plan;
  auto pending = FindPending(options);
  if (!pending) return std::unexpected(pending.error());
  const std::map<int64_t, AppliedMigration>& rows = pending->applied;
  plan.unfinished_backfills = std::move(pending->unfinished_backfills);
  auto live = LiveInstances();
  if (!live) return std::unexpected(live.error());
  for (const Migration* pending_migration : pending->migrations) {
    const Migration& m = *pending_migration;
    auto row = rows.find(m.version);
    PlannedMigration p;
    p.migration = &m;
    auto steps = migrate::PlanUp(m);
    if (!steps) return std::unexpected(steps.error());
    p.steps = std::move(*steps);
    p.backfills = PlanBackfills(m);
    if (row != rows.end() && row->second.steps_done > 0) {
      p.first_step = row->second.steps_done;
      p.notes.push_back(
          fmt::format("an earlier run did {} step(s); this one resumes after them", p.first_step));
    }
    if (m.phase == Phase::kContract) {
      for (const store::Instance& i : *live) {
        if (i.schema_version < m.version) {
          p.notes.push_back(fmt::format(
              "interlock: live instance {} (payments {} on {}) was built with migrations up to "
              "{} only; this contract would refuse",
              i.id, i.binary_version, i.host, FormatVersion(i.schema_version)));
        }
      }
    }
    plan.migrations.push_back(std::move(p));
  }
  return plan;
}

payments::Result<DownReport> Migrator::Down(int64_t to) {
  if (auto s = Lock(); !s) return std::unexpected(s.error());
  auto result = [&]() -> payments::Result<DownReport> {
    if (auto s = EnsureTables(); !s) return std::unexpected(s.error());
    auto history = History();
    if (!history) return std::unexpected(history.error());
    std::map<int64_t, const Migration*> files;
    for (const Migration& m : migrations_) files[m.version] = &m;
    // Check everything first: a refused down changes nothing.
    std::vector<const Migration*> todo;
    for (auto it = history->rbegin(); it != history->rend(); ++it) {
      if (it->version <= to) continue;
      if (!it->success && it->steps_done == 0) continue;  // failed and rolled back
      auto f = files.find(it->version);
      if (f == files.end()) {
        return std::unexpected(
            Error::Of(ErrorKind::kStateConflict, "migration_file_missing",
                      fmt::format("cannot undo migration {} ({}): its file is missing",
                                  FormatVersion(it->version), it->name)));
      }
      const Migration& m = *f->second;
      if (!it->success) {
        return std::unexpected(Error::Of(
            ErrorKind::kStateConflict, "migration_incomplete",
            fmt::format("cannot undo {}: it is not applied whole ({} step(s) done{}); fix it and "
                        "run `payments migrate up`, or repair by hand",
                        m.filename, it->steps_done, it->error ? ", it failed" : "")));
      }
      if (!m.complete_transitions.empty()) {
        return std::unexpected(Error::Of(
            ErrorKind::kStateConflict, "migration_irreversible",
            fmt::format("cannot undo {}: it completed a column transition and dropped the old "
                        "columns; write a new migration instead",
                        m.filename)));
      }
      if (!m.reversible()) {
        return std::unexpected(
            Error::Of(ErrorKind::kStateConflict, "migration_irreversible",
                      fmt::format("cannot undo {}: it has no undo file ({}_{}.down.sql)",
                                  m.filename, FormatVersion(m.version), m.name)));
      }
      if (it->checksum != m.checksum) {
        return std::unexpected(Error::Of(
            ErrorKind::kStateConflict, "migration_changed",
            fmt::format("cannot undo {}: the file changed since it was applied (run `payments "
                        "migrate validate`)",
                        m.filename)));
      }
      if (auto s = Interlock(m, false); !s) return std::unexpected(s.error());
      todo.push_back(&m);
    }
    DownReport report;
    for (const Migration* m : todo) {
      auto steps = PlanDown(*m);
      if (!steps) return std::unexpected(steps.error());
      auto transitions = LoadTransitions(m->version, "active");
      if (!transitions) return std::unexpected(transitions.error());
      if (!transitions->empty()) {
        Step remove;
        remove.description = "remove the column transition (triggers and new columns)";
        for (const InstalledTransition& t : *transitions) {
          for (PlannedStatement& s : RemoveTransitionSql(t))
            remove.statements.push_back(std::move(s));
        }
        steps->push_back(std::move(remove));
      }
      Emit(EventKind::kInfo, fmt::format("undoing {}", m->filename));
      if (auto s = RunSteps(*m, *steps, 0, true); !s) return std::unexpected(s.error());
      Emit(EventKind::kInfo, fmt::format("undid {}", m->filename));
      report.undone.push_back(m->version);
    }
    return report;
  }();
  Unlock();
  return result;
}

payments::Result<std::vector<MigrationStatus>> Migrator::Status() {
  auto history = History();
  if (!history) return std::unexpected(history.error());
  auto backfills = Backfills();
  if (!backfills) return std::unexpected(backfills.error());
  std::map<int64_t, MigrationStatus> by_version;
  for (const Migration& m : migrations_) {
    MigrationStatus& s = by_version[m.version];
    s.version = m.version;
    s.name = m.name;
    s.phase = m.phase;
  }
  for (const AppliedMigration& a : *history) {
    MigrationStatus& s = by_version[a.version];
    s.version = a.version;
    auto file = std::find_if(migrations_.begin(), migrations_.end(),
                             [&](const Migration& m) { return m.version == a.version; });
    if (file == migrations_.end()) {
      s.name = a.name;
      s.phase = a.phase;
      s.file = MigrationStatus::File::kMissing;
    } else {
      s.file = file->checksum == a.checksum ? MigrationStatus::File::kOk
                                            : MigrationStatus::File::kChanged;
    }
    s.applied = a;
  }
  for (const BackfillState& b : *backfills) by_version[b.version].backfills.push_back(b);
  std::vector<MigrationStatus> out;
  for (auto& [v, s] : by_version) out.push_back(std::move(s));
  return out;
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

payments::Result<SchemaCheck> CheckSchema(db::Connection& conn,
                                          const std::vector<Migration>& built_in) {
  SchemaCheck check;
  check.built_in_version = built_in.empty() ? 0 : built_in.back().version;
  auto rows =
      conn.Exec("SELECT version, phase FROM schema_migrations WHERE success ORDER BY version");
  if (!rows) {
    if (rows.error().sqlstate == db::kUndefinedTable) {
      check.reason = "the database has no schema (run `payments migrate up`)";
      return check;
    }
    return std::unexpected(rows.error());
  }
  std::set<int64_t> applied;
  for (int r = 0; r < rows->size(); ++r) {
    const int64_t version = rows->Int64(r, 0);
    applied.insert(version);
    check.applied_version = std::max(check.applied_version, version);
    if (version > check.built_in_version && rows->Text(r, 1) == "contract") {
      check.reason = fmt::format(
          "contract migration {} is applied but this binary knows migrations up to {} only; it "
          "may read what that migration removed",
          version, check.built_in_version);
      return check;
    }
  }
  for (const Migration& m : built_in) {
    if (m.phase != Phase::kContract && !applied.contains(m.version)) {
      check.reason = fmt::format("migration {} ({}) is not applied (run `payments migrate up`)",
                                 m.version, m.filename);
      return check;
    }
  }
  check.compatible = true;
  return check;
}

}  // namespace payments::migrate
