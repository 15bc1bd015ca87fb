#include "db/transaction.h"

namespace payments::db {

payments::Result<PooledConnection> BeginTransaction(Pool& pool) {
  // Each retry takes another connection; a restart can have killed all idle ones.
  const int attempts = pool.options().size + 1;
  Error last;
  for (int i = 0; i < attempts; ++i) {
    auto lease = pool.Acquire();
    if (!lease) return std::unexpected(lease.error());
    auto begun = (*lease)->Exec("BEGIN");
    if (begun) return std::move(*lease);
    last = begun.error();
    if (!(*lease)->broken()) break;
  }
  return std::unexpected(last);
}

payments::Status CommitTransaction(Connection& conn) { return conn.Commit(); }

void RollbackTransaction(Connection& conn) {
  if (!conn.broken()) (void)conn.Exec("ROLLBACK");
}

}  // namespace payments::db
