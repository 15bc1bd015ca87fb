#include "migrate/step_runner.h"

#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "migrate/history.h"
#include "migrate/retry.h"

namespace payments::migrate {
namespace {

// The statement as an error message shows it: its first line, shortened.
std::string Excerpt(std::string_view sql) {
  std::string s(sql.substr(0, sql.find('\n')));
  if (s.size() > 100) s = s.substr(0, 97) + "...";
  if (s.size() < sql.size()) s += " ...";
  return s;
}

int64_t MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// One run of a migration's steps. `message` of a step names what failed for
// the error and the history row; a failure without one gets the file's name
// and the database's words.
class StepRun {
 public:
  StepRun(db::Connection& conn, const MigratorOptions& options, const Migration& m,
          const std::vector<Step>& steps, int first_step, Direction direction)
      : conn_(conn),
        options_(options),
        m_(m),
        steps_(steps),
        first_step_(first_step),
        down_(direction == Direction::kDown),
        started_(std::chrono::steady_clock::now()),
        file_(down_ ? fmt::format("{}_{}.down.sql", FormatVersion(m.version), m.name) : m.filename),
        lock_timeout_(m.lock_timeout.value_or(options.default_lock_timeout)),
        total_(static_cast<int>(steps.size())) {}

  payments::Status Run() {
    if (steps_.empty() || first_step_ >= total_) return FinalizeAlone();
    for (int i = first_step_; i < total_; ++i) {
      if (total_ > 1) {
        Emit(options_, EventKind::kInfo,
             fmt::format("{}: step {}/{}: {}", FormatVersion(m_.version), i + 1, total_,
                         steps_[i].description));
      }
      if (auto s = RunWithRetries(i); !s) return s;
    }
    return {};
  }

 private:
  // Nothing left to run but the record (an empty migration, or one whose
  // steps an interrupted run did): the record in a transaction of its own.
  payments::Status FinalizeAlone() {
    if (auto b = conn_.Exec("BEGIN"); !b) return std::unexpected(b.error());
    if (auto s = Finalize(); !s) {
      return Fail(first_step_, fmt::format("{}: {}", file_, ErrorDetail(s.error())), s.error());
    }
    if (auto c = conn_.Exec("COMMIT"); !c) {
      return Fail(first_step_, ErrorDetail(c.error()), c.error());
    }
    return {};
  }

  payments::Status RunWithRetries(int i) {
    for (int attempt = 1;; ++attempt) {
      std::string message;
      const payments::Status s = steps_[i].kind == StepKind::kTransaction
                                     ? RunInTransaction(i, message)
                                     : RunOnItsOwn(i, message);
      if (s) return {};
      const Error& error = s.error();
      if (conn_.in_transaction()) (void)conn_.Exec("ROLLBACK");
      if (message.empty()) message = fmt::format("{}: {}", file_, ErrorDetail(error));
      if (IsRetryable(error) && attempt <= options_.lock_retries) {
        const auto wait = RetryBackoff(attempt, options_.backoff_initial, options_.backoff_max);
        Emit(options_, EventKind::kRetry,
             fmt::format("{}: {} (lock_timeout {} ms); retrying in {} ms (attempt {} of {})",
                         FormatVersion(m_.version), message, lock_timeout_.count(), wait.count(),
                         attempt + 1, options_.lock_retries + 1));
        std::this_thread::sleep_for(wait);
        continue;
      }
      if (IsRetryable(error)) message += fmt::format(" (gave up after {} attempts)", attempt);
      return Fail(i, std::move(message), error);
    }
  }

  // A step of statements in one transaction: the transitions it completes,
  // its statements, the transitions it installs, then the record.
  payments::Status RunInTransaction(int i, std::string& message) {
    const Step& step = steps_[i];
    const auto statement_timeout =
        m_.statement_timeout.value_or(options_.default_statement_timeout);
    if (auto b = conn_.ExecScript(
            fmt::format("BEGIN; SET LOCAL lock_timeout = {}; SET LOCAL statement_timeout = {}",
                        lock_timeout_.count(), statement_timeout.count()));
        !b) {
      message = fmt::format("{}: {}", file_, ErrorDetail(b.error()));
      return std::unexpected(b.error());
    }
    std::vector<PlannedStatement> statements;
    for (int64_t v : step.completes) {
      auto active = ReadTransitions(conn_, v, "active");
      if (!active) return std::unexpected(active.error());
      if (active->empty()) {
        auto completed = ReadTransitions(conn_, v, "completed");
        if (!completed) return std::unexpected(completed.error());
        if (completed->empty()) {
          Error e = Error::InvalidRequest(
              "no_transition",
              fmt::format("migration {} installed no column transition", FormatVersion(v)));
          message = fmt::format("{}: migrate:complete-transition {}: {}", file_, FormatVersion(v),
                                e.message);
          return std::unexpected(e);
        }
      }
      for (const InstalledTransition& t : *active) {
        for (PlannedStatement& s : CompleteTransitionSql(t)) statements.push_back(std::move(s));
      }
      if (auto s = MarkTransitionsCompleted(conn_, v, m_.version); !s) return s;
    }
    for (const PlannedStatement& st : step.statements) statements.push_back(st);
    for (const PlannedStatement& st : statements) {
      if (auto r = conn_.ExecScript(st.sql); !r) {
        message = StatementError(st, r.error());
        return std::unexpected(r.error());
      }
    }
    for (size_t idx : step.installs) {
      const InstalledTransition t =
          DescribeTransition(m_.version, static_cast<int>(idx), m_.transitions[idx]);
      if (auto s = RecordTransition(conn_, t); !s) return s;
    }
    const bool last = i == total_ - 1;
    auto done = last ? Finalize() : RecordProgress(i + 1, std::nullopt);
    if (!done) {
      if (message.empty()) message = fmt::format("{}: {}", file_, ErrorDetail(done.error()));
      return done;
    }
    if (auto c = conn_.Exec("COMMIT"); !c) return std::unexpected(c.error());
    return {};
  }

  // A statement that cannot run in a transaction, under session timeouts.
  // What a failed concurrent build left behind (an INVALID index) is dropped
  // first; an index the interrupted run built whole is not built again.
  payments::Status RunOnItsOwn(int i, std::string& message) {
    const Step& step = steps_[i];
    const PlannedStatement& st = step.statements.front();
    const auto statement_timeout = m_.statement_timeout.value_or(std::chrono::milliseconds(0));
    if (auto s = conn_.ExecScript(fmt::format("SET lock_timeout = {}; SET statement_timeout = {}",
                                              lock_timeout_.count(), statement_timeout.count()));
        !s) {
      return std::unexpected(s.error());
    }
    bool skip = false;
    if (!step.index_name.empty()) {
      auto idx =
          conn_.Exec("SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass($1)",
                     db::Params().Add(step.index_name));
      if (!idx) return std::unexpected(idx.error());
      if (!idx->empty() && !idx->Bool(0, 0)) {
        Emit(options_, EventKind::kInfo,
             fmt::format("{}: dropping INVALID index {} left by a failed concurrent build",
                         FormatVersion(m_.version), step.index_name));
        auto d = conn_.ExecScript("DROP INDEX CONCURRENTLY IF EXISTS " + step.index_name);
        if (!d) return std::unexpected(d.error());
      } else if (!idx->empty() && i == first_step_ && first_step_ > 0) {
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
        Emit(options_, EventKind::kInfo,
             fmt::format("{}: dropping INVALID index {} left by a failed REINDEX",
                         FormatVersion(m_.version), leftovers->Text(r, 0)));
        auto d = conn_.ExecScript("DROP INDEX CONCURRENTLY IF EXISTS " + leftovers->String(r, 0));
        if (!d) return std::unexpected(d.error());
      }
    }
    if (!skip) {
      if (auto r = conn_.ExecScript(st.sql); !r) {
        message = StatementError(st, r.error());
        (void)conn_.ExecScript("RESET lock_timeout; RESET statement_timeout");
        return std::unexpected(r.error());
      }
    }
    (void)conn_.ExecScript("RESET lock_timeout; RESET statement_timeout");
    if (i == total_ - 1) {
      if (auto b = conn_.Exec("BEGIN"); !b) return std::unexpected(b.error());
      if (auto f = Finalize(); !f) return f;
      if (auto c = conn_.Exec("COMMIT"); !c) return std::unexpected(c.error());
      return {};
    }
    return RecordProgress(i + 1, std::nullopt);
  }

  // What the last step's transaction also records: the migration applied
  // (and its backfills registered), or, for down, its history gone.
  payments::Status Finalize() {
    if (down_) return ForgetMigration(conn_, m_.version);
    for (const BackfillSpec& b : PlanBackfills(m_)) {
      if (auto s = RegisterBackfill(conn_, m_.version, b); !s) return s;
    }
    return RecordHistory(conn_, m_,
                         {.execution_ms = MsSince(started_),
                          .success = true,
                          .error = std::nullopt,
                          .steps_done = total_,
                          .steps_checksum = std::nullopt});
  }

  // Progress of a migration of several steps, so a rerun continues after them.
  payments::Status RecordProgress(int steps_done, const std::optional<std::string>& error) {
    if (down_) return {};
    return RecordHistory(conn_, m_,
                         {.execution_ms = MsSince(started_),
                          .success = false,
                          .error = error,
                          .steps_done = steps_done,
                          .steps_checksum = StepsChecksum(steps_, steps_done)});
  }

  payments::Status Fail(int step, std::string message, const Error& cause) {
    if (conn_.in_transaction()) (void)conn_.Exec("ROLLBACK");
    (void)RecordProgress(step, message);
    Error e = cause;
    e.kind = ErrorKind::kInternal;
    e.code = "migration_failed";
    e.message = std::move(message);
    return std::unexpected(std::move(e));
  }

  std::string StatementError(const PlannedStatement& st, const Error& e) const {
    if (st.line > 0) {
      return fmt::format("{}:{}: {}: {}", file_, st.line, Excerpt(st.sql), ErrorDetail(e));
    }
    return fmt::format("{}: (generated) {}: {}", file_, Excerpt(st.sql), ErrorDetail(e));
  }

  db::Connection& conn_;
  const MigratorOptions& options_;
  const Migration& m_;
  const std::vector<Step>& steps_;
  const int first_step_;
  const bool down_;
  const std::chrono::steady_clock::time_point started_;
  const std::string file_;
  const std::chrono::milliseconds lock_timeout_;
  const int total_;
};

}  // namespace

payments::Status RunSteps(db::Connection& conn, const MigratorOptions& options, const Migration& m,
                          const std::vector<Step>& steps, int first_step, Direction direction) {
  return StepRun(conn, options, m, steps, first_step, direction).Run();
}

}  // namespace payments::migrate
