#include "migrate/schema_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace payments::migrate {

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
