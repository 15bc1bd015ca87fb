// The schema check readiness depends on: may this binary serve traffic on
// the schema it finds? Reads schema_migrations only; applies nothing and
// takes no lock, so `serve` runs it every two seconds. Thread-safe as the
// Connection is (one thread at a time).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/connection.h"
#include "migrate/migration.h"

namespace payments::migrate {

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

}  // namespace payments::migrate
