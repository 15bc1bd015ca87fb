#include "db/transaction.h"

#include <cstring>

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

payments::Status CommitTransaction(Connection& conn) {
  PGresult* raw = conn.ExecRawResult("COMMIT");
  Rows rows(raw);
  if (raw == nullptr || PQresultStatus(raw) != PGRES_COMMAND_OK) {
    Error e = OutcomeUnknown(Error::Unavailable(
        "database unavailable", std::string("commit: ") + PQerrorMessage(conn.raw())));
    if (raw != nullptr && !conn.broken()) {
      const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
      e = Error::Internal("internal error", std::string("commit: ") + PQresultErrorMessage(raw));
      e.sqlstate = state ? state : "";
      // A deferred constraint (the ledger balance check) fails at COMMIT.
    }
    return std::unexpected(std::move(e));
  }
  if (std::strcmp(PQcmdStatus(raw), "ROLLBACK") == 0) {
    return std::unexpected(
        Error::Internal("internal error", "commit: the transaction had failed and rolled back"));
  }
  return {};
}

void RollbackTransaction(Connection& conn) {
  if (!conn.broken()) (void)conn.Exec("ROLLBACK");
}

}  // namespace payments::db
