#include "db/batch.h"

namespace payments::db {
namespace {

BatchItem Control(const Statement& statement) { return BatchItem{&statement, {}, {}}; }

}  // namespace

payments::Result<OpenBatch> BeginBatch(Pool& pool, std::vector<BatchItem> items) {
  items.insert(items.begin(), Control(kBegin));
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
  items.push_back(Control(kCommit));
  auto rows = conn.RunBatch(items);
  if (!rows && conn.broken()) return std::unexpected(OutcomeUnknown(rows.error()));
  if (rows) rows->pop_back();
  return rows;
}

payments::Result<std::vector<Rows>> RunTransactionBatch(Pool& pool, std::vector<BatchItem> items) {
  // The pool lends only connections it has just seen alive (a server that
  // hung up on an idle one is noticed without a round trip), so BEGIN travels
  // with the rest. A connection lost during the round trip leaves the outcome
  // unknown, as for any COMMIT.
  auto lease = pool.Acquire();
  if (!lease) return std::unexpected(lease.error());
  items.insert(items.begin(), Control(kBegin));
  auto rows = CommitBatch(**lease, std::move(items));
  if (rows) rows->erase(rows->begin());  // BEGIN's
  return rows;
}

}  // namespace payments::db
