// Transactions in few round trips, built on Connection::RunBatch. A use case
// that reads, calls out, then writes takes two round trips:
//
//   auto tx = db::BeginBatch(pool, {store::FindPaymentItem(m, id, /*for_update=*/true)});
//   ... decide, call the processor ...
//   auto done = db::CommitBatch(*tx->connection, {store::UpdatePaymentItem(p), ...});
//
// BeginBatch sends BEGIN with its items; when the leased connection turns out
// to have died while idle (a database restart), nothing can have happened
// and it is retried on a fresh connection. RunTransactionBatch sends BEGIN,
// its items and COMMIT in one round trip on a connection the pool has just
// seen alive (Pool::Acquire). CommitBatch sends its items and
// COMMIT together; any error rolls the whole transaction back, and a lost
// connection means the outcome is unknown (kUnavailable, "retry with the same
// Idempotency-Key"). Read runs idempotent work (reads) on a pooled
// connection, retrying once on a dead one. Thread-safe as the Pool is.
#pragma once

#include <type_traits>
#include <utility>
#include <vector>

#include "db/pool.h"

namespace payments::db {

struct OpenBatch {
  PooledConnection connection;
  std::vector<Rows> rows;  // the results of the items after BEGIN
};

payments::Result<OpenBatch> BeginBatch(Pool& pool, std::vector<BatchItem> items);
payments::Result<std::vector<Rows>> CommitBatch(Connection& conn, std::vector<BatchItem> items);
// Runs items as one transaction in one round trip: BEGIN, items, COMMIT.
payments::Result<std::vector<Rows>> RunTransactionBatch(Pool& pool, std::vector<BatchItem> items);

template <typename Fn>
auto Read(Pool& pool, Fn&& fn) -> std::invoke_result_t<Fn, Connection&> {
  using R = std::invoke_result_t<Fn, Connection&>;
  for (int attempt = 0;; ++attempt) {
    auto lease = pool.Acquire();
    if (!lease) return R(std::unexpected(lease.error()));
    R result = fn(**lease);
    if (result || !(*lease)->broken() || attempt >= 1) return result;
  }
}

}  // namespace payments::db
