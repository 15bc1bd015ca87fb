// One libpq connection with RAII, prepared statements by name and errors as
// values. A connection is used by one thread or fiber at a time (libpq's
// rule); the Pool hands them out. Every wait for the server goes through
// fibers::WaitSocket, so on a fiber it parks the fiber, not its thread.
//
//   auto conn = Connection::Open({.conninfo = url});
//   if (!conn) return std::unexpected(conn.error());
//   auto rows = (*conn)->Run(kFindPayment, db::Params().Add(id));
//
// Errors map to payments::Error: a lost or refused connection, an admin
// shutdown or too many clients are kUnavailable (the API answers 503 and the
// connection reports broken()); a lock or statement timeout is kUnavailable
// with its SQLSTATE; anything else is kInternal with the SQLSTATE kept in
// Error::sqlstate, so callers can test for 23505 (unique_violation) and such.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/error.h"
#include "db/params.h"
#include "db/rows.h"

namespace payments::db {

// A statement prepared on first use on each connection. Declare them as
// constants beside the code that runs them:
//   constexpr db::Statement kFindPayment{"payments.find", "SELECT ... WHERE id = $1"};
struct Statement {
  std::string_view name;
  std::string_view sql;
  // Every parameter lies in the statement's one VALUES list: a shared
  // transaction may send the rows of several units as one statement
  // (db/merged_statement.h). Each unit then gets that statement's result
  // rows, all units' together, and a caller that reads them finds its own
  // (by a value only it has, such as a claim token) — never by position or
  // by the count of rows affected.
  bool mergeable = false;
};

// Transaction control as statements prepared once per connection: sent
// unnamed, PostgreSQL parsed them again for every transaction.
inline constexpr Statement kBegin{"tx.begin", "BEGIN"};
inline constexpr Statement kCommit{"tx.commit", "COMMIT"};
// Makes the transaction's commit not wait for its WAL flush.
inline constexpr Statement kAsyncCommit{"tx.async_commit", "SET LOCAL synchronous_commit TO off"};

// One statement of a batch: a named prepared statement, or plain SQL (BEGIN,
// COMMIT, SET LOCAL …) when `statement` is null.
struct BatchItem {
  const Statement* statement = nullptr;
  std::string_view sql;
  Params params;
};

struct ConnectOptions {
  std::string conninfo;  // a postgresql:// URL or "key=value" string
  std::string application_name = "payments";
  std::chrono::seconds connect_timeout{2};         // libpq's floor is 2 s
  std::chrono::milliseconds statement_timeout{0};  // 0 = server default
  std::chrono::milliseconds lock_timeout{0};       // 0 = server default
  std::chrono::milliseconds idle_in_transaction_timeout{0};
};

// SQLSTATEs callers test for.
inline constexpr std::string_view kUniqueViolation = "23505";
inline constexpr std::string_view kCheckViolation = "23514";
inline constexpr std::string_view kForeignKeyViolation = "23503";
inline constexpr std::string_view kLockNotAvailable = "55P03";
inline constexpr std::string_view kConnectionFailure = "08006";
inline constexpr std::string_view kQueryCanceled = "57014";
inline constexpr std::string_view kSerializationFailure = "40001";
inline constexpr std::string_view kDeadlockDetected = "40P01";
inline constexpr std::string_view kObjectInUse = "55006";
inline constexpr std::string_view kUndefinedTable = "42P01";

// A transaction whose connection was lost after it was sent may or may not
// have committed. This error tells the client so (503, "retry with the same
// Idempotency-Key") and carries SQLSTATE 08006 (connection_failure) so that
// callers can tell it from a timeout or a busy pool (IsOutcomeUnknown).
Error OutcomeUnknown(Error lost);
// The version of the libpq linked in (150018 for 15.18), for `payments version`.
int LibpqVersion();
bool IsOutcomeUnknown(const Error& error);

class Connection {
 public:
  static payments::Result<std::unique_ptr<Connection>> Open(const ConnectOptions& options);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs one statement with parameters (extended protocol, text format).
  payments::Result<Rows> Exec(std::string_view sql, const Params& params = {});
  // Runs a script of several statements (simple protocol, no parameters).
  payments::Result<Rows> ExecScript(std::string_view sql);
  // Runs a named statement, preparing it on this connection the first time.
  payments::Result<Rows> Run(const Statement& statement, const Params& params = {});
  // Sends several statements in one round trip (libpq pipeline mode) and
  // returns their rows in order. The server stops at the first error and
  // skips the rest; that error is returned. Wrap the items in BEGIN … COMMIT
  // to make them one transaction, which then rolls back on any error (the
  // batch sends the ROLLBACK).
  payments::Result<std::vector<Rows>> RunBatch(const std::vector<BatchItem>& items);

  // Commits the open transaction. A connection lost before the server's
  // answer is an unknown outcome (IsOutcomeUnknown: it may have committed);
  // a deferred constraint that fails at COMMIT is kInternal with its
  // SQLSTATE; a transaction that had failed, whose COMMIT the server turns
  // into ROLLBACK, is kInternal too.
  payments::Status Commit();

  // A notification of LISTEN/NOTIFY.
  struct Notification {
    std::string channel;
    std::string payload;
  };
  // Reads what the server has sent, without waiting, and returns the
  // notifications received since the last call (those that came in with
  // earlier results included). kUnavailable when the connection is lost,
  // which then reports broken(). To wait for one, poll socket() for input.
  payments::Result<std::vector<Notification>> TakeNotifications();
  // The connection's socket, for poll(2) while it is idle.
  int socket() const;

  // True when the connection cannot be used any more (lost, or a fatal error).
  bool broken() const;
  // For an idle connection: true when the server has hung up on it (a restart
  // or pg_terminate_backend), without a round trip. An idle connection that
  // does not LISTEN has nothing to read, so anything readable is the server's
  // goodbye: its error message, or the close itself. Marks it broken.
  bool ClosedWhileIdle();
  // True when a transaction is open or failed on this connection.
  bool in_transaction() const;
  // When the connection was opened.
  std::chrono::steady_clock::time_point opened_at() const { return opened_at_; }

  // The server's version as libpq reports it (150018 for 15.18).
  int server_version() const { return PQserverVersion(conn_.get()); }
  // The backend's process id, for pg_terminate_backend in drills.
  int backend_pid() const { return PQbackendPID(conn_.get()); }

 private:
  // Runs a command (simple protocol) and returns its last result, or null
  // when it could not be sent; the caller owns it.
  PGresult* ExecRawResult(std::string_view sql);
  struct Finish {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  explicit Connection(PGconn* conn);
  payments::Result<Rows> Check(PGresult* result, std::string_view what);
  payments::Status Prepare(const Statement& statement);

  std::unique_ptr<PGconn, Finish> conn_;
  std::unordered_set<std::string> prepared_;
  bool failed_ = false;
  std::chrono::steady_clock::time_point opened_at_;
};

// Removes the password from a connection string or URL for logs.
std::string RedactConninfo(std::string_view conninfo);

// Quotes an identifier for SQL ("my table" -> "\"my table\"").
std::string QuoteIdentifier(std::string_view name);
// Quotes a string literal for SQL ("it's" -> "'it''s'").
std::string QuoteLiteral(std::string_view value);

}  // namespace payments::db
