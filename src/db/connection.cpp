#include "db/connection.h"

#include <fmt/format.h>
#include <poll.h>

#include <cstring>
#include <optional>
#include <regex>
#include <vector>

#include "fibers/fiber.h"

namespace payments::db {
namespace {

bool IsUnavailableState(std::string_view sqlstate) {
  // Class 08: connection exceptions. 57P01..03: admin/crash shutdown, cannot
  // connect now. 53300: too many connections. 57014/55P03: statement and lock
  // timeouts, which the API also reports as "try again".
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03" || sqlstate == "53300" || sqlstate == kQueryCanceled ||
         sqlstate == kLockNotAvailable;
}

std::string TrimMessage(const char* message) {
  std::string m = message ? message : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

// Waits until PQgetResult can return without blocking: on a fiber the fiber
// parks and its loop runs other requests meanwhile (fibers/fiber.h); on a
// thread it polls. A read that fails leaves the error for PQgetResult.
void AwaitResult(PGconn* c) {
  while (PQisBusy(c) == 1) {
    (void)fibers::WaitSocket(PQsocket(c), /*for_write=*/false, std::nullopt);
    if (PQconsumeInput(c) == 0) return;
  }
}

// What PQexec returns after a PQsend*: the last result, the error that
// stopped a script.
PGresult* LastResult(PGconn* c) {
  PGresult* last = nullptr;
  while (true) {
    AwaitResult(c);
    PGresult* r = PQgetResult(c);
    if (r == nullptr) break;
    PQclear(last);
    last = r;
    const ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_COPY_IN || s == PGRES_COPY_OUT || s == PGRES_COPY_BOTH ||
        PQstatus(c) == CONNECTION_BAD) {
      break;
    }
  }
  return last;
}

}  // namespace

Error OutcomeUnknown(Error lost) {
  lost.kind = ErrorKind::kUnavailable;
  lost.code = "service_unavailable";
  lost.message =
      "database unavailable; the outcome is unknown, retry with the same Idempotency-Key";
  lost.sqlstate = std::string(kConnectionFailure);
  return lost;
}

bool IsOutcomeUnknown(const Error& error) {
  return error.kind == ErrorKind::kUnavailable && error.sqlstate == kConnectionFailure;
}

payments::Result<std::unique_ptr<Connection>> Connection::Open(const ConnectOptions& options) {
  std::string pg_options;
  auto add_setting = [&](const char* name, std::chrono::milliseconds value) {
    if (value.count() > 0) pg_options += fmt::format("-c {}={} ", name, value.count());
  };
  add_setting("statement_timeout", options.statement_timeout);
  add_setting("lock_timeout", options.lock_timeout);
  add_setting("idle_in_transaction_session_timeout", options.idle_in_transaction_timeout);
  const std::string connect_timeout = std::to_string(options.connect_timeout.count());

  std::vector<const char*> keys = {"dbname",          "application_name", "connect_timeout",
                                   "keepalives",      "keepalives_idle",  "keepalives_interval",
                                   "keepalives_count"};
  std::vector<const char*> values = {options.conninfo.c_str(),
                                     options.application_name.c_str(),
                                     connect_timeout.c_str(),
                                     "1",
                                     "10",
                                     "5",
                                     "3"};
  if (!pg_options.empty()) {
    keys.push_back("options");
    values.push_back(pg_options.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);

  // Connected step by step (PQconnectPoll) so that a fiber parks instead of
  // blocking its loop while the server answers; libpq's connect_timeout only
  // applies to its blocking connect, so the deadline is kept here.
  PGconn* raw = PQconnectStartParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (raw == nullptr)
    return std::unexpected(Error::Unavailable("database unavailable", "out of memory"));
  const auto deadline = fibers::Clock::now() + options.connect_timeout;
  PostgresPollingStatusType polling = PGRES_POLLING_WRITING;
  while (PQstatus(raw) != CONNECTION_BAD && polling != PGRES_POLLING_OK &&
         polling != PGRES_POLLING_FAILED) {
    if (!fibers::WaitSocket(PQsocket(raw), polling == PGRES_POLLING_WRITING, deadline)) {
      PQfinish(raw);
      return std::unexpected(
          Error::Unavailable("database unavailable", "connection timeout expired"));
    }
    polling = PQconnectPoll(raw);
  }
  // Server notices ("relation already exists, skipping") are not errors and
  // must not reach stderr; errors come back as results.
  PQsetNoticeProcessor(
      raw, [](void*, const char*) {}, nullptr);
  std::unique_ptr<Connection> conn(new Connection(raw));
  if (PQstatus(raw) != CONNECTION_OK) {
    return std::unexpected(
        Error::Unavailable("database unavailable", TrimMessage(PQerrorMessage(raw))));
  }
  return conn;
}

Connection::Connection(PGconn* conn) : conn_(conn), opened_at_(std::chrono::steady_clock::now()) {}

Connection::~Connection() = default;

bool Connection::broken() const { return failed_ || PQstatus(conn_.get()) != CONNECTION_OK; }

bool Connection::ClosedWhileIdle() {
  if (broken()) return true;
  pollfd fd{.fd = PQsocket(conn_.get()), .events = POLLIN, .revents = 0};
  if (::poll(&fd, 1, 0) == 0) return false;
  failed_ = true;
  return true;
}

bool Connection::in_transaction() const {
  const PGTransactionStatusType s = PQtransactionStatus(conn_.get());
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

payments::Result<Rows> Connection::Check(PGresult* result, std::string_view what) {
  Rows rows(result);
  const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
    return rows;
  }
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  std::string message =
      TrimMessage(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_.get()));
  if (message.empty()) message = TrimMessage(PQerrorMessage(conn_.get()));
  if (PQstatus(conn_.get()) != CONNECTION_OK || sqlstate == "57P01" || sqlstate == "57P02") {
    failed_ = true;
  }
  Error error;
  if (failed_ || IsUnavailableState(sqlstate)) {
    error = Error::Unavailable(sqlstate == kQueryCanceled || sqlstate == kLockNotAvailable
                                   ? "database timeout"
                                   : "database unavailable",
                               fmt::format("{}: {}", what, message));
  } else {
    error = Error::Internal("internal error", fmt::format("{}: {}", what, message));
  }
  error.sqlstate = std::move(sqlstate);
  return std::unexpected(std::move(error));
}

namespace {

// libpq sends text parameters as C strings: a NUL would end the value there
// and PostgreSQL would store the rest silently cut. Such a value is refused
// whole instead (validation refuses it long before; this is the last guard).
payments::Status Whole(const Params& params) {
  if (!params.HoldsNul()) return {};
  return std::unexpected(
      Error::Internal("internal error", "a text parameter holds a NUL byte; not sent cut"));
}

}  // namespace

payments::Result<Rows> Connection::Exec(std::string_view sql, const Params& params) {
  if (auto whole = Whole(params); !whole) return std::unexpected(whole.error());
  const std::string text(sql);
  const std::vector<const char*> values = params.Pointers();
  const std::vector<int> lengths = params.Lengths();
  const int sent = PQsendQueryParams(conn_.get(), text.c_str(), params.size(), nullptr,
                                     values.data(), lengths.data(), nullptr, 0);
  return Check(sent == 1 ? LastResult(conn_.get()) : nullptr, "query");
}

payments::Result<Rows> Connection::ExecScript(std::string_view sql) {
  const std::string text(sql);
  // Only the last result comes back; an error stops the script and is it.
  return Check(ExecRawResult(sql), "script");
}

payments::Status Connection::Commit() {
  PGresult* raw = ExecRawResult("COMMIT");
  Rows owner(raw);
  if (raw == nullptr || PQresultStatus(raw) != PGRES_COMMAND_OK) {
    Error e = OutcomeUnknown(Error::Unavailable(
        "database unavailable", std::string("commit: ") + PQerrorMessage(conn_.get())));
    if (raw != nullptr && !broken()) {
      // A deferred constraint (the ledger balance check) fails at COMMIT.
      const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
      e = Error::Internal("internal error", std::string("commit: ") + PQresultErrorMessage(raw));
      e.sqlstate = state ? state : "";
    }
    return std::unexpected(std::move(e));
  }
  if (std::strcmp(PQcmdStatus(raw), "ROLLBACK") == 0) {
    return std::unexpected(
        Error::Internal("internal error", "commit: the transaction had failed and rolled back"));
  }
  return {};
}

payments::Result<std::vector<Connection::Notification>> Connection::TakeNotifications() {
  if (PQconsumeInput(conn_.get()) == 0 || PQstatus(conn_.get()) != CONNECTION_OK) {
    failed_ = true;
    return std::unexpected(Error::Unavailable(
        "database unavailable",
        fmt::format("connection lost: {}", TrimMessage(PQerrorMessage(conn_.get())))));
  }
  std::vector<Notification> out;
  while (PGnotify* n = PQnotifies(conn_.get())) {
    out.push_back({.channel = n->relname ? n->relname : "", .payload = n->extra ? n->extra : ""});
    PQfreemem(n);
  }
  return out;
}

int Connection::socket() const { return PQsocket(conn_.get()); }

int LibpqVersion() { return PQlibVersion(); }

PGresult* Connection::ExecRawResult(std::string_view sql) {
  const std::string text(sql);
  if (PQsendQuery(conn_.get(), text.c_str()) != 1) return nullptr;
  return LastResult(conn_.get());
}

payments::Status Connection::Prepare(const Statement& statement) {
  const std::string name(statement.name);
  if (prepared_.contains(name)) return {};
  const std::string sql(statement.sql);
  const int sent = PQsendPrepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr);
  auto prepared = Check(sent == 1 ? LastResult(conn_.get()) : nullptr, name);
  if (!prepared) return std::unexpected(prepared.error());
  prepared_.insert(name);
  return {};
}

payments::Result<Rows> Connection::Run(const Statement& statement, const Params& params) {
  if (auto whole = Whole(params); !whole) return std::unexpected(whole.error());
  if (auto s = Prepare(statement); !s) return std::unexpected(s.error());
  const std::string name(statement.name);
  const std::vector<const char*> values = params.Pointers();
  const std::vector<int> lengths = params.Lengths();
  const int sent = PQsendQueryPrepared(conn_.get(), name.c_str(), params.size(), values.data(),
                                       lengths.data(), nullptr, 0);
  return Check(sent == 1 ? LastResult(conn_.get()) : nullptr, name);
}

payments::Result<std::vector<Rows>> Connection::RunBatch(const std::vector<BatchItem>& items) {
  for (const BatchItem& item : items) {
    if (auto whole = Whole(item.params); !whole) return std::unexpected(whole.error());
    if (item.statement != nullptr) {
      if (auto s = Prepare(*item.statement); !s) return std::unexpected(s.error());
    }
  }
  PGconn* c = conn_.get();
  if (PQenterPipelineMode(c) != 1) {
    return std::unexpected(Error::Internal("internal error", "cannot enter pipeline mode"));
  }
  // Statement texts and parameter arrays must live until they are sent.
  bool sent = true;
  for (const BatchItem& item : items) {
    const std::vector<const char*> values = item.params.Pointers();
    const std::vector<int> lengths = item.params.Lengths();
    int ok = 0;
    if (item.statement != nullptr) {
      const std::string name(item.statement->name);
      ok = PQsendQueryPrepared(c, name.c_str(), item.params.size(), values.data(), lengths.data(),
                               nullptr, 0);
    } else {
      const std::string sql(item.sql);
      ok = PQsendQueryParams(c, sql.c_str(), item.params.size(), nullptr, values.data(),
                             lengths.data(), nullptr, 0);
    }
    if (ok != 1) {
      sent = false;
      break;
    }
  }
  if (!sent || PQpipelineSync(c) != 1) {
    failed_ = true;  // the pipeline is in an unknown state; drop the connection
    return std::unexpected(
        Error::Unavailable("database unavailable", TrimMessage(PQerrorMessage(c))));
  }
  std::vector<Rows> out;
  std::optional<Error> first_error;
  for (const BatchItem& item : items) {
    AwaitResult(c);
    PGresult* r = PQgetResult(c);
    if (r == nullptr) {
      failed_ = true;
      return std::unexpected(
          Error::Unavailable("database unavailable", TrimMessage(PQerrorMessage(c))));
    }
    const bool aborted = PQresultStatus(r) == PGRES_PIPELINE_ABORTED;
    auto checked = aborted ? payments::Result<Rows>(Rows(r))
                           : Check(r, item.statement ? item.statement->name : item.sql);
    if (!checked && !first_error) first_error = checked.error();
    out.push_back(checked ? std::move(*checked) : Rows());
    // Each query's results end with a null.
    while (true) {
      AwaitResult(c);
      PGresult* extra = PQgetResult(c);
      if (extra == nullptr) break;
      PQclear(extra);
    }
  }
  // The sync point.
  AwaitResult(c);
  PGresult* sync = PQgetResult(c);
  const bool synced = sync != nullptr && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  PQclear(sync);
  if (!synced || PQexitPipelineMode(c) != 1) {
    failed_ = true;
    if (!first_error) {
      first_error = Error::Unavailable("database unavailable", TrimMessage(PQerrorMessage(c)));
    }
  }
  if (first_error) {
    // An error inside BEGIN … COMMIT leaves the transaction aborted at the sync.
    if (!failed_ && in_transaction()) PQclear(ExecRawResult("ROLLBACK"));
    return std::unexpected(*first_error);
  }
  return out;
}

std::string RedactConninfo(std::string_view conninfo) {
  std::string s(conninfo);
  // postgresql://user:secret@host -> postgresql://user:***@host
  static const std::regex kUrlPassword(R"(^(postgres(ql)?://[^:/@]*):[^@]*@)");
  s = std::regex_replace(s, kUrlPassword, "$1:***@");
  // password=secret -> password=***
  static const std::regex kKeyPassword(R"((password\s*=\s*)('[^']*'|\S+))");
  s = std::regex_replace(s, kKeyPassword, "$1***");
  return s;
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string QuoteLiteral(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

}  // namespace payments::db
