#include "migrate/report.h"

#include <fmt/format.h>

#include <algorithm>

namespace payments::migrate {
namespace {

std::string Eta(const BackfillProgress& p) {
  if (p.finished) return "done";
  if (p.rows_per_second <= 0 || p.keys_total <= p.keys_done) return "?";
  const auto s = static_cast<int64_t>((p.keys_total - p.keys_done) / p.rows_per_second);
  if (s >= 3600) return fmt::format("{}:{:02d}:{:02d}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02d}", s / 60, s % 60);
}

int Percent(const BackfillProgress& p) {
  if (p.finished) return 100;
  if (p.keys_total <= 0) return 0;
  return static_cast<int>(std::min<int64_t>(99, p.keys_done * 100 / p.keys_total));
}

std::string BackfillSummary(const BackfillState& b) {
  if (b.state == "done") {
    return fmt::format("backfill of {} done ({} rows updated)", b.table, b.rows_updated);
  }
  return fmt::format("backfill of {} {} ({} rows visited)", b.table, b.state, b.keys_done);
}

}  // namespace

std::string FormatStatus(const std::vector<MigrationStatus>& rows) {
  std::string out =
      fmt::format("{:<8} {:<28} {:<9} {:<10} {:<8} {:<21} {:>9}  {}\n", "VERSION", "NAME", "PHASE",
                  "STATE", "FILE", "APPLIED AT", "TOOK", "APPLIED BY");
  std::vector<std::string> pending;
  for (const MigrationStatus& s : rows) {
    std::string state = "pending";
    if (s.applied) {
      if (s.applied->success) {
        state = "applied";
      } else if (s.applied->error) {
        state = "failed";
      } else {
        state = "partial";
      }
    }
    const char* file = "-";
    switch (s.file) {
      case MigrationStatus::File::kOk:
        file = "ok";
        break;
      case MigrationStatus::File::kChanged:
        file = "changed";
        break;
      case MigrationStatus::File::kMissing:
        file = "missing";
        break;
      case MigrationStatus::File::kNone:
        file = "-";
        break;
    }
    const bool done = s.applied && s.applied->success;
    out +=
        fmt::format("{:<8} {:<28} {:<9} {:<10} {:<8} {:<21} {:>9}  {}\n", FormatVersion(s.version),
                    s.name, ToString(s.phase), state, file, s.applied ? s.applied->applied_at : "-",
                    s.applied ? fmt::format("{} ms", s.applied->execution_ms) : "-",
                    s.applied ? s.applied->applied_by : "-");
    if (s.applied && !s.applied->success) {
      out += fmt::format("         {} step(s) done{}\n", s.applied->steps_done,
                         s.applied->error ? ": " + *s.applied->error : "");
    }
    for (const BackfillState& b : s.backfills) out += "         " + BackfillSummary(b) + "\n";
    if (!done) {
      pending.push_back(
          fmt::format("{}_{} ({})", FormatVersion(s.version), s.name, ToString(s.phase)));
    }
  }
  if (pending.empty()) {
    out += "pending: none\n";
  } else {
    out += fmt::format("pending: {}\n", pending.size());
    for (const std::string& p : pending) out += "  " + p + "\n";
  }
  return out;
}

std::string FormatPlan(const UpPlan& plan) {
  std::string out = "dry run: nothing is changed\n";
  for (const BackfillState& b : plan.unfinished_backfills) {
    out += fmt::format("resume: backfill of {} by migration {} ({}), {} rows visited so far\n",
                       b.table, FormatVersion(b.version), b.origin, b.keys_done);
  }
  if (plan.migrations.empty()) out += "no pending migrations\n";
  for (const PlannedMigration& p : plan.migrations) {
    const Migration& m = *p.migration;
    out += fmt::format(
        "\n{} (phase {}, lock_timeout {}, statement_timeout {})\n", m.filename, ToString(m.phase),
        m.lock_timeout ? fmt::format("{} ms", m.lock_timeout->count()) : "default",
        m.statement_timeout ? fmt::format("{} ms", m.statement_timeout->count()) : "default");
    for (const std::string& note : p.notes) out += "  note: " + note + "\n";
    for (size_t i = 0; i < p.steps.size(); ++i) {
      const Step& s = p.steps[i];
      out += fmt::format("  step {}/{}{}: {}\n", i + 1, p.steps.size(),
                         static_cast<int>(i) < p.first_step ? " (done)" : "", s.description);
      for (const PlannedStatement& st : s.statements) {
        std::string sql = st.sql;
        size_t pos = 0;
        while ((pos = sql.find('\n', pos)) != std::string::npos) {
          sql.insert(pos + 1, "      ");
          pos += 7;
        }
        out += "    " + sql + ";\n";
      }
    }
    for (const BackfillSpec& b : p.backfills) {
      out +=
          fmt::format("  backfill ({}): UPDATE {} SET {} WHERE <primary key range>{}\n", b.origin,
                      b.table, b.set, b.condition.empty() ? "" : " AND (" + b.condition + ")");
    }
  }
  return out;
}

std::string FormatProgressBar(const BackfillProgress& p, int width) {
  const int pct = Percent(p);
  const int filled = width * pct / 100;
  return fmt::format("backfill {} {} [{}{}] {:>3}%  {}/{} rows  {:.0f} rows/s  ETA {}",
                     FormatVersion(p.version), p.table, std::string(filled, '#'),
                     std::string(width - filled, '.'), pct, p.keys_done, p.keys_total,
                     p.rows_per_second, Eta(p));
}

std::string FormatProgressLine(const BackfillProgress& p) {
  return fmt::format("backfill {} {}: {}/{} rows ({}%), {} updated, {:.0f} rows/s, ETA {}",
                     FormatVersion(p.version), p.table, p.keys_done, p.keys_total, Percent(p),
                     p.rows_updated, p.rows_per_second, Eta(p));
}

std::string NewMigrationTemplate(const std::string& name, Phase phase) {
  std::string title = name;
  std::replace(title.begin(), title.end(), '_', ' ');
  std::string out = fmt::format(
      "-- {}: say what this migration changes and why.\n"
      "-- migrate:phase {}\n"
      "--\n"
      "-- Other directives (docs/operations/migrations.md): lock_timeout, statement_timeout,\n"
      "-- backfill, transition with new-column and old-column, complete-transition.\n"
      "-- An undo file beside this one (same name, .down.sql) lets `migrate down` reverse it.\n"
      "-- Check it with `payments migrate lint`.\n\n",
      title, ToString(phase));
  return out;
}

}  // namespace payments::migrate
