// Runs the steps of one migration (migrate/plan.h), up or down, on one
// connection: each step either a short transaction under SET LOCAL
// lock_timeout and statement_timeout, or a statement that cannot run in a
// transaction (CREATE INDEX CONCURRENTLY and such) on its own. A step that
// hits lock_timeout is retried with backoff (migrate/retry.h); any other
// failure rolls back, records how far the migration got, and ends the run
// with an error naming the file, the line and the statement. The last step's
// transaction also records the migration as applied (or, down, forgets it),
// so a migration is applied exactly when its last step commits.
//
// The caller holds the advisory lock (migrate/interlock.h). One thread.
#pragma once

#include <vector>

#include "core/error.h"
#include "db/connection.h"
#include "migrate/migration.h"
#include "migrate/migrator_options.h"
#include "migrate/plan.h"

namespace payments::migrate {

enum class Direction { kUp, kDown };

// Runs steps[first_step..] of m (first_step > 0: an interrupted run did the
// ones before).
payments::Status RunSteps(db::Connection& conn, const MigratorOptions& options, const Migration& m,
                          const std::vector<Step>& steps, int first_step, Direction direction);

}  // namespace payments::migrate
