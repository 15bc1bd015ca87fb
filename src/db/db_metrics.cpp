#include "db/db_metrics.h"

namespace payments::db {

void WritePoolMetrics(const PoolStats& s, telemetry::MetricsWriter& w) {
  w.Family("payments_db_pool_connections", "gauge", "Database connections by state.");
  w.Sample("payments_db_pool_connections", {{"state", "open"}}, s.open);
  w.Sample("payments_db_pool_connections", {{"state", "busy"}}, s.busy);
  w.Sample("payments_db_pool_connections", {{"state", "max"}}, s.size);
  w.Family("payments_db_pool_waits_total", "counter", "Acquisitions that waited for a connection.");
  w.Sample("payments_db_pool_waits_total", {}, static_cast<double>(s.waits));
  w.Family("payments_db_pool_timeouts_total", "counter", "Acquisitions that gave up waiting.");
  w.Sample("payments_db_pool_timeouts_total", {}, static_cast<double>(s.timeouts));
  w.Family("payments_db_reconnects_total", "counter",
           "Connections opened after the database was lost.");
  w.Sample("payments_db_reconnects_total", {}, static_cast<double>(s.reconnects));
  w.Family("payments_db_connect_failures_total", "counter", "Failed attempts to connect.");
  w.Sample("payments_db_connect_failures_total", {}, static_cast<double>(s.connect_failures));
  w.Family("payments_db_up", "gauge", "1 while the database answers.");
  w.Sample("payments_db_up", {}, s.healthy ? 1 : 0);
}

void WriteGroupCommitMetrics(const std::vector<std::pair<std::string, GroupCommitStats>>& kinds,
                             telemetry::MetricsWriter& w) {
  auto per_kind = [&](const char* name, const char* help, int64_t GroupCommitStats::*field) {
    w.Family(name, "counter", help);
    for (const auto& [kind, g] : kinds) {
      w.Sample(name, {{"kind", kind}}, static_cast<double>(g.*field));
    }
  };
  per_kind("payments_db_group_commit_units_total",
           "Transactions run through group commit: idempotency claims and created "
           "payments' effects.",
           &GroupCommitStats::units);
  per_kind("payments_db_group_commit_batches_total",
           "Shared database transactions they went in; units / batches is the batch size.",
           &GroupCommitStats::batches);
  per_kind("payments_db_group_commit_statements_total",
           "Statements in shared transactions, BEGIN and COMMIT not counted; fewer than "
           "the requests' own when the same statements of several went as one.",
           &GroupCommitStats::statements);
  per_kind("payments_db_group_commit_fallbacks_total",
           "Shared transactions that failed and ran again unit by unit.",
           &GroupCommitStats::fallbacks);
}

}  // namespace payments::db
