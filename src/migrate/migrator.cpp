#include "migrate/migrator.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "migrate/step_runner.h"

namespace payments::migrate {
namespace {

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

}  // namespace

Migrator::Migrator(db::Connection& conn, std::vector<Migration> migrations, MigratorOptions options)
    : conn_(conn), migrations_(std::move(migrations)), options_(std::move(options)) {}

payments::Result<std::vector<AppliedMigration>> Migrator::History() { return ReadHistory(conn_); }

payments::Result<std::vector<BackfillState>> Migrator::Backfills() { return ReadBackfills(conn_); }

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
  o.on_retry = [this](const std::string& message) { Emit(options_, EventKind::kRetry, message); };
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
    Emit(options_, EventKind::kInfo,
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

payments::Status Migrator::Interlock(const Migration& m, InterlockFor what) {
  auto warning = CheckInstanceInterlock(
      conn_, m, what, {.stale_after = options_.instance_stale_after, .force = options_.force});
  if (!warning) return std::unexpected(warning.error());
  if (!warning->empty()) Emit(options_, EventKind::kWarning, std::move(*warning));
  return {};
}

payments::Status Migrator::Apply(const Migration& m, int first_step) {
  auto steps = migrate::PlanUp(m);
  if (!steps) return std::unexpected(steps.error());
  Emit(options_, EventKind::kInfo,
       fmt::format("applying {} ({}){}", m.filename, ToString(m.phase),
                   first_step > 0 ? fmt::format(", resuming at step {}", first_step + 1) : ""));
  const auto started = std::chrono::steady_clock::now();
  if (auto s = RunSteps(conn_, options_, m, *steps, first_step, Direction::kUp); !s) return s;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  Emit(options_, EventKind::kInfo, fmt::format("applied {} in {} ms", m.filename, ms.count()));
  return {};
}

payments::Result<UpReport> Migrator::Up(const UpOptions& options) {
  // Refuse malformed migrations before taking anything.
  for (const Migration& m : migrations_) {
    if (auto s = migrate::PlanUp(m); !s) return std::unexpected(s.error());
  }
  if (auto s = TakeMigrationLock(conn_, options_.lock_wait); !s) return std::unexpected(s.error());
  auto result = [&]() -> payments::Result<UpReport> {
    if (auto s = EnsureHistoryTables(conn_); !s) return std::unexpected(s.error());
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
        auto backfills = Backfills();
        if (!backfills) return std::unexpected(backfills.error());
        if (auto s = CheckBackfillsFinished(*backfills, m); !s) return std::unexpected(s.error());
        if (auto s = Interlock(m, InterlockFor::kContract); !s) return std::unexpected(s.error());
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
  ReleaseMigrationLock(conn_);
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
  auto live = LiveInstances(conn_, options_.instance_stale_after);
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
  if (auto s = TakeMigrationLock(conn_, options_.lock_wait); !s) return std::unexpected(s.error());
  auto result = [&]() -> payments::Result<DownReport> {
    if (auto s = EnsureHistoryTables(conn_); !s) return std::unexpected(s.error());
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
      if (auto s = Interlock(m, InterlockFor::kDown); !s) return std::unexpected(s.error());
      todo.push_back(&m);
    }
    DownReport report;
    for (const Migration* m : todo) {
      auto steps = PlanDown(*m);
      if (!steps) return std::unexpected(steps.error());
      auto transitions = ReadTransitions(conn_, m->version, "active");
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
      Emit(options_, EventKind::kInfo, fmt::format("undoing {}", m->filename));
      if (auto s = RunSteps(conn_, options_, *m, *steps, 0, Direction::kDown); !s) {
        return std::unexpected(s.error());
      }
      Emit(options_, EventKind::kInfo, fmt::format("undid {}", m->filename));
      report.undone.push_back(m->version);
    }
    return report;
  }();
  ReleaseMigrationLock(conn_);
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

}  // namespace payments::migrate
