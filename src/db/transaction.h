// Runs a function inside one database transaction on a pooled connection.
//
//   Result<Payment> p = db::InTransaction(pool, [&](db::Connection& c) -> Result<Payment> {
//     ... return payment;   // COMMIT
//     ... return std::unexpected(error);   // ROLLBACK
//   });
//
// BEGIN is sent on its own, so when it fails on a connection that died while
// idle (a database restart) nothing can have happened and the transaction is
// retried on a fresh connection. After BEGIN nothing is retried: the function
// may have called out (a processor), and a COMMIT whose answer was lost has an
// unknown outcome, reported as kUnavailable for the client to retry with its
// Idempotency-Key. Thread-safe as the Pool is.
#pragma once

#include <type_traits>
#include <utility>

#include "db/pool.h"

namespace payments::db {

// Sends BEGIN on a fresh lease, retrying on connections that turn out dead.
payments::Result<PooledConnection> BeginTransaction(Pool& pool);
// Sends COMMIT; an error, or a transaction that the server rolled back, fails.
payments::Status CommitTransaction(Connection& conn);
// Best effort ROLLBACK; a broken connection is dropped by the pool anyway.
void RollbackTransaction(Connection& conn);

template <typename Fn>
auto InTransaction(Pool& pool, Fn&& fn) -> std::invoke_result_t<Fn, Connection&> {
  using R = std::invoke_result_t<Fn, Connection&>;
  auto lease = BeginTransaction(pool);
  if (!lease) return R(std::unexpected(lease.error()));
  R result = std::forward<Fn>(fn)(**lease);
  if (!result) {
    RollbackTransaction(**lease);
    return result;
  }
  if (auto committed = CommitTransaction(**lease); !committed) {
    return R(std::unexpected(committed.error()));
  }
  return result;
}

}  // namespace payments::db
