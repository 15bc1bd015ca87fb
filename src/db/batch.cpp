#include "db/batch.h"

namespace payments::db {
namespace {

BatchItem Plain(std::string_view sql) { return BatchItem{nullptr, sql, {}}; }

}  // namespace

payments::Result<OpenBatch> BeginBatch(Pool& pool, std::vector<BatchItem> items) {
  items.insert(items.begin(), Plain("BEGIN"));
  Error last;
  // Each retry takes another connection; a restart can have killed all idle ones.
  for (int i = 0; i < pool.options().size + 1; ++i) {
    auto lease = pool.Acquire();
    if (!lease) return std::unexpected(lease.error());
    auto rows = (*lease)->RunBatch(items);
    if (rows) {
      rows->erase(rows->begin());  // BEGIN's
      return OpenBatch{std::move(*lease), std::move(*rows)};
    }
    last = rows.error();
    if (!(*lease)->broken()) break;
  }
  return std::unexpected(last);
}

payments::Result<std::vector<Rows>> CommitBatch(Connection& conn, std::vector<BatchItem> items) {
  items.push_back(Plain("COMMIT"));
  auto rows = conn.RunBatch(items);
  if (!rows && conn.broken()) {
    Error e = rows.error();
    e.message = "database unavailable; the outcome is unknown, retry with the same Idempotency-Key";
    return std::unexpected(std::move(e));
  }
  if (rows) rows->pop_back();
  return rows;
}

payments::Result<std::vector<Rows>> RunTransactionBatch(Pool& pool, std::vector<BatchItem> items) {
  // BEGIN goes alone first only when it must be retried; sending everything
  // at once and retrying a dead connection is safe only because a dead idle
  // connection fails before the server sees anything. So: BEGIN, then the rest.
  auto tx = BeginBatch(pool, {});
  if (!tx) return std::unexpected(tx.error());
  return CommitBatch(*tx->connection, std::move(items));
}

}  // namespace payments::db
