#include "migrate/migrator.h"

#include <fmt/format.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "core/build_info.h"

namespace payments::migrate {
namespace {

constexpr std::string_view kCreateHistory = R"sql(
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
))sql";

}  // namespace

std::string AppliedBy() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  const BuildInfo& b = GetBuildInfo();
  return fmt::format("payments {} ({}) on {}", b.version, b.commit, host);
}

Migrator::Migrator(db::Connection& conn, std::vector<Migration> migrations, MigratorOptions options)
    : conn_(conn), migrations_(std::move(migrations)), options_(options) {}

payments::Status Migrator::EnsureHistoryTable() {
  auto r = conn_.Exec(kCreateHistory);
  if (!r) return std::unexpected(r.error());
  return {};
}

payments::Status Migrator::Lock() {
  const auto deadline = std::chrono::steady_clock::now() + options_.lock_wait;
  while (true) {
    auto r = conn_.Exec("SELECT pg_try_advisory_lock($1)", db::Params().Add(kMigrationLockKey));
    if (!r) return std::unexpected(r.error());
    if (r->Bool(0, 0)) return {};
    if (std::chrono::steady_clock::now() >= deadline) {
      return std::unexpected(
          Error::Of(ErrorKind::kStateConflict, "migration_locked",
                    "another migration is running (advisory lock held); try again or pass --wait"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void Migrator::Unlock() {
  (void)conn_.Exec("SELECT pg_advisory_unlock($1)", db::Params().Add(kMigrationLockKey));
}

payments::Result<std::vector<AppliedMigration>> Migrator::History() {
  if (auto s = EnsureHistoryTable(); !s) return std::unexpected(s.error());
  auto rows = conn_.Exec(
      "SELECT version, name, checksum, phase, "
      "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), applied_by, "
      "execution_ms, success, error FROM schema_migrations ORDER BY version");
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
    out.push_back(std::move(a));
  }
  return out;
}

payments::Status Migrator::Apply(const Migration& m) {
  const auto start = std::chrono::steady_clock::now();
  std::string failure;
  if (auto b = conn_.Exec("BEGIN"); !b) return std::unexpected(b.error());
  auto set = conn_.Exec(
      fmt::format("SET LOCAL lock_timeout = '{}ms'", options_.default_lock_timeout.count()));
  if (set) {
    auto r = conn_.ExecScript(m.sql);
    if (!r) failure = r.error().detail.empty() ? r.error().message : r.error().detail;
  } else {
    failure = set.error().detail;
  }
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
  db::Params p;
  p.Add(m.version).Add(m.name).Add(m.checksum).Add(ToString(m.phase)).Add(AppliedBy()).Add(ms);
  const char* record =
      "INSERT INTO schema_migrations (version, name, checksum, phase, applied_by, execution_ms, "
      "success, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
      "ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum = EXCLUDED.checksum, "
      "phase = EXCLUDED.phase, applied_at = now(), applied_by = EXCLUDED.applied_by, "
      "execution_ms = EXCLUDED.execution_ms, success = EXCLUDED.success, error = EXCLUDED.error";
  if (failure.empty()) {
    p.Add(true).AddNull();
    if (auto r = conn_.Exec(record, p); !r) {
      (void)conn_.Exec("ROLLBACK");
      return std::unexpected(r.error());
    }
    if (auto c = conn_.Exec("COMMIT"); !c) return std::unexpected(c.error());
    return {};
  }
  (void)conn_.Exec("ROLLBACK");
  p.Add(false).Add(failure);
  (void)conn_.Exec(record, p);
  return std::unexpected(
      Error::Internal(fmt::format("migration {} failed: {}", m.filename, failure)));
}

payments::Result<UpReport> Migrator::Up(const UpOptions& options) {
  if (auto s = EnsureHistoryTable(); !s) return std::unexpected(s.error());
  if (auto s = Lock(); !s) return std::unexpected(s.error());
  UpReport report;
  auto history = History();
  if (!history) {
    Unlock();
    return std::unexpected(history.error());
  }
  std::set<int64_t> done;
  for (const AppliedMigration& a : *history) {
    if (a.success) done.insert(a.version);
  }
  for (const Migration& m : migrations_) {
    if (options.to && m.version > *options.to) break;
    if (done.contains(m.version)) continue;
    if (auto s = Apply(m); !s) {
      Unlock();
      return std::unexpected(s.error());
    }
    report.applied.push_back(m.version);
  }
  Unlock();
  return report;
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
