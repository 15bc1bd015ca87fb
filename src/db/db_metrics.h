// The database metrics of /metrics, written by the module that owns the
// numbers from a snapshot of them (Pool::Stats, GroupCommitter::Stats), as
// events/relay_metrics.h does for the relay:
//
//   metrics.AddCollector([&](telemetry::MetricsWriter& w) {
//     db::WritePoolMetrics(pool.Stats(), w);
//     db::WriteGroupCommitMetrics({{"claim", claims}, {"payment", writes}}, w);
//   });
//
// Pure; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "db/group_commit.h"
#include "db/pool.h"
#include "telemetry/metrics.h"

namespace payments::db {

// payments_db_pool_*, payments_db_reconnects_total,
// payments_db_connect_failures_total and payments_db_up.
void WritePoolMetrics(const PoolStats& stats, telemetry::MetricsWriter& w);

// payments_db_group_commit_*_total, one sample per kind of unit.
void WriteGroupCommitMetrics(const std::vector<std::pair<std::string, GroupCommitStats>>& kinds,
                             telemetry::MetricsWriter& w);

}  // namespace payments::db
