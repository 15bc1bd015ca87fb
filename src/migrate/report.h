// Text for the `payments migrate` commands: the status table, the dry-run
// plan, backfill progress (a bar on a terminal, plain lines otherwise) and
// the template of a new migration. Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "migrate/migrator.h"

namespace payments::migrate {

// The `status` table, then what is pending.
std::string FormatStatus(const std::vector<MigrationStatus>& rows);

// The `up --dry-run` output: each pending migration with its steps' SQL.
std::string FormatPlan(const UpPlan& plan);

// "backfill 0005 payments [#####.....]  45%  45000/100000 rows  52000 rows/s  ETA 0:01"
std::string FormatProgressBar(const BackfillProgress& p, int width = 30);
// "backfill 0005 payments: 45000/100000 rows (45%), 52000 rows/s, ETA 1s"
std::string FormatProgressLine(const BackfillProgress& p);

// The file `migrate new` writes.
std::string NewMigrationTemplate(const std::string& name, Phase phase);

}  // namespace payments::migrate
