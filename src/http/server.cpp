// About 700 lines, one file on purpose: the listener (with its connection
// cap and accept backoff), its Session (one connection's TLS handshake, read,
// dispatch and write loop) and the drain controls share Server::Impl's
// private state (loops, connections, the in-flight table);
// splitting them would put that state in a header with no other user.
#include "http/server.h"

#include <fmt/format.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <charconv>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "core/error_body.h"
#include "core/ids.h"
#include "core/redact.h"
#include "http/request_head.h"
#include "http/tls_context.h"
#include "telemetry/log.h"

namespace payments::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

class Session;

thread_local asio::io_context* t_current_loop = nullptr;

class Server::Impl : public std::enable_shared_from_this<Server::Impl> {
 public:
  // One loop per I/O thread, each run by its thread alone: a connection, its
  // requests and their fibers stay on one thread (fibers/fiber.h).
  struct Loop {
    explicit Loop(asio::io_context& c) : ioc(c), ticker(c) {
      last_tick_ns = Clock::now().time_since_epoch().count();
    }
    asio::io_context& ioc;
    asio::steady_timer ticker;
    std::atomic<int64_t> last_tick_ns{0};
  };

  Impl(const std::vector<std::unique_ptr<asio::io_context>>& loops, ServerOptions options,
       AsyncHandler handler, ResponseObserver observer)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        observer_(std::move(observer)),
        acceptor_(std::in_place, asio::make_strand(*loops.front())),
        accept_backoff_timer_(std::in_place, acceptor_->get_executor()) {
    for (const auto& ioc : loops) loops_.push_back(std::make_unique<Loop>(*ioc));
  }

  payments::Result<uint16_t> Listen(const std::string& address, uint16_t port) {
    beast::error_code ec;
    const auto ip = asio::ip::make_address(address, ec);
    if (ec) {
      return std::unexpected(Error::InvalidRequest(
          "invalid_listen_address", fmt::format("invalid listen address '{}'", address)));
    }
    const tcp::endpoint endpoint(ip, port);
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(endpoint, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return std::unexpected(Error::Unavailable(
          fmt::format("cannot listen on {}:{}: {}", address, port, ec.message())));
    }
    return acceptor_->local_endpoint().port();
  }

  void Start() {
    Accept();
    for (auto& loop : loops_) {
      Tick(*loop);
      threads_.emplace_back([self = shared_from_this(), ioc = &loop->ioc] {
        t_current_loop = ioc;
        ioc->run();
      });
    }
  }

  // Connections go to the loops in turn.
  void Accept() {
    asio::io_context& next = loops_[next_loop_++ % loops_.size()]->ioc;
    acceptor_->async_accept(asio::make_strand(next),
                            [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                              self->OnAccept(ec, std::move(socket));
                            });
  }

  void OnAccept(beast::error_code ec, tcp::socket socket);

  // Called under mu_ when a session ends: below the cap again, accepting
  // resumes on the acceptor's strand.
  void ResumeAcceptingLocked() {
    // After Stop (accepting_ false) or ReleaseLoopObjects (no acceptor) a
    // session that ends late must not touch the acceptor or its loop.
    if (!accepting_ || !acceptor_) return;
    if (!accept_paused_ || sessions_.size() >= options_.max_connections) return;
    accept_paused_ = false;
    asio::post(acceptor_->get_executor(), [self = shared_from_this()] {
      if (self->accepting_) self->Accept();
    });
  }

  void Tick(Loop& loop) {
    loop.last_tick_ns = Clock::now().time_since_epoch().count();
    loop.ticker.expires_after(std::chrono::milliseconds(100));
    loop.ticker.async_wait([self = shared_from_this(), &loop](beast::error_code ec) {
      if (!ec) self->Tick(loop);
    });
  }

  // Destroys the I/O objects the Impl holds on the loops (the acceptor, the
  // tickers), once the loops have stopped and before they are destroyed.
  // A handler left in one loop may hold the Impl until that loop is
  // destroyed, after the loops before it; without this the Impl would then
  // destroy objects of loops already gone (found by AddressSanitizer).
  void ReleaseLoopObjects() {
    {
      // A session released late (its Done held by a worker) unregisters
      // under mu_ and reads acceptor_ there.
      std::lock_guard lock(mu_);
      accept_paused_ = false;
      accept_backoff_timer_.reset();
      acceptor_.reset();
    }
    loops_.clear();
  }

  // The oldest of the loops' last ticks: one stuck loop is a stuck server.
  Clock::time_point LastTick() const {
    int64_t oldest = std::numeric_limits<int64_t>::max();
    for (const auto& loop : loops_) oldest = std::min(oldest, loop->last_tick_ns.load());
    return Clock::time_point(Clock::duration(oldest));
  }

  void BeginDrain() { draining_ = true; }

  void StopAccepting();
  bool WaitIdle(Clock::time_point deadline) {
    std::unique_lock lock(mu_);
    return idle_cv_.wait_until(lock, deadline, [&] { return sessions_.empty(); });
  }

  void Stop();

  // Registers a new session and, under the same lock, decides whether the
  // cap is reached: true means accepting pauses (Unregister resumes it).
  // Decided before the session starts, so no answer on it can overtake it.
  bool RegisterAtCap(Session* s, std::weak_ptr<Session> w) {
    std::lock_guard lock(mu_);
    sessions_.emplace(s, std::move(w));
    ++connections_total_;
    if (options_.max_connections == 0 || sessions_.size() < options_.max_connections) return false;
    accept_paused_ = true;
    ++accept_pauses_;
    return true;
  }
  void Unregister(Session* s) {
    std::lock_guard lock(mu_);
    sessions_.erase(s);
    ResumeAcceptingLocked();
    if (sessions_.empty()) idle_cv_.notify_all();
  }
  // Keyed by a serial of the server's own: a client's X-Request-Id is not
  // unique, and two requests sharing one must not erase each other's entry.
  uint64_t AddInFlight(std::string description) {
    std::lock_guard lock(mu_);
    const uint64_t key = ++in_flight_serial_;
    in_flight_[key] = std::move(description);
    return key;
  }
  void RemoveInFlight(uint64_t key) {
    std::lock_guard lock(mu_);
    in_flight_.erase(key);
  }
  // A client's failed handshake: counted, and logged the first time and every
  // 1,000th only, so that a scan of the port cannot flood the log.
  void CountHandshakeFailure(const beast::error_code& ec) {
    const int64_t failures = ++tls_handshake_failures_;
    if (failures == 1 || failures % 1000 == 0) {
      log::Info("TLS handshake failed", {{"listener", options_.name},
                                         {"error", ec.message()},
                                         {"tls_handshake_failures", failures}});
    }
  }

  const ServerOptions options_;
  const AsyncHandler handler_;
  const ResponseObserver observer_;
  std::vector<std::unique_ptr<Loop>> loops_;  // their io_contexts are owned by the Server
  // Reset, with the loops' tickers, by ReleaseLoopObjects: an I/O object
  // must go before the loop it belongs to.
  std::optional<tcp::acceptor> acceptor_;
  std::optional<asio::steady_timer> accept_backoff_timer_;  // on the acceptor's strand
  size_t next_loop_ = 0;                                    // on the acceptor's strand
  std::atomic<size_t> next_posted_{0};
  std::vector<std::thread> threads_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> accepting_{true};

  mutable std::mutex mu_;
  std::condition_variable idle_cv_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
  std::unordered_map<uint64_t, std::string> in_flight_;
  uint64_t in_flight_serial_ = 0;
  int64_t connections_total_ = 0;
  bool accept_paused_ = false;  // at max_connections, no accept pending
  int64_t accept_pauses_ = 0;
  int64_t accept_errors_ = 0;
  std::atomic<int64_t> tls_handshake_failures_{0};
  bool stopped_ = false;
};

// One connection, as the Impl sees it: the drain and stop controls, called
// on the session's strand. The request path calls no virtual function.
class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(std::shared_ptr<Server::Impl> server) : server_(std::move(server)) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  virtual ~Session() { server_->Unregister(this); }

  virtual void Start() = 0;
  // Called on the session's strand by StopAccepting.
  virtual void CloseIfIdle() = 0;
  // Called on the session's strand by Stop.
  virtual void ForceClose() = 0;
  virtual asio::any_io_executor executor() = 0;

 protected:
  std::shared_ptr<Server::Impl> server_;
};

// A connection over plain TCP (beast::tcp_stream) or TLS (TlsStream): one
// code path, the TLS steps chosen at compile time, so plain HTTP pays nothing
// for TLS.
template <class Stream>
class BasicSession final : public Session {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  struct NoContext {};

 public:
  using Context = std::conditional_t<kTls, std::shared_ptr<asio::ssl::context>, NoContext>;

  // A TLS session holds the context it was accepted with for its life.
  BasicSession(tcp::socket socket, std::shared_ptr<Server::Impl> server, Context context)
      : Session(std::move(server)),
        context_(std::move(context)),
        stream_(MakeStream(std::move(socket), context_)) {}

  void Start() override {
    beast::error_code ec;
    Tcp().socket().set_option(tcp::no_delay(true), ec);
    const auto remote = Tcp().socket().remote_endpoint(ec);
    if (!ec) remote_ = fmt::format("{}:{}", remote.address().to_string(), remote.port());
    if constexpr (kTls) {
      asio::dispatch(stream_.get_executor(), [self = Self()] { self->Handshake(); });
    } else {
      asio::dispatch(stream_.get_executor(), [self = Self()] { self->WaitForRequest(); });
    }
  }

  void CloseIfIdle() override {
    close_when_done_ = true;
    if (state_ == State::kIdle) Shutdown();
  }

  void ForceClose() override { Shutdown(); }

  asio::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  static Stream MakeStream(tcp::socket socket, Context& context) {
    if constexpr (kTls) {
      return Stream(beast::tcp_stream(std::move(socket)), *context);
    } else {
      (void)context;
      return Stream(std::move(socket));
    }
  }

  std::shared_ptr<BasicSession> Self() {
    return std::static_pointer_cast<BasicSession>(shared_from_this());
  }

  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  // The handshake has the read timeout: a client that connects and sends
  // nothing gives its slot back then. Until it is done the connection is
  // idle (no request has begun), so a drain closes it.
  void Handshake() {
    state_ = State::kIdle;
    Tcp().expires_after(server_->options_.read_timeout);
    stream_.async_handshake(asio::ssl::stream_base::server, [self = Self()](beast::error_code ec) {
      if (self->state_ == State::kClosed) return;  // closed by a drain
      if (ec) {
        self->server_->CountHandshakeFailure(ec);
        self->Shutdown();
        return;
      }
      self->WaitForRequest();
    });
  }

  // After the last response: close_notify, without waiting for the client's
  // (its answer is whole; one that never replies must not hold the slot),
  // then the socket closes.
  void CloseNotify() {
    SSL_set_shutdown(stream_.native_handle(), SSL_RECEIVED_SHUTDOWN);
    Tcp().expires_after(server_->options_.read_timeout);
    stream_.async_shutdown([self = Self()](beast::error_code) { self->Shutdown(); });
  }

  enum class State { kIdle, kReading, kHandling, kWriting, kClosed };

  void WaitForRequest() {
    if (close_when_done_ || !server_->accepting_) {
      Shutdown();
      return;
    }
    parser_.emplace();
    parser_->body_limit(server_->options_.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(server_->options_.header_limit));
    if (buffer_.size() > 0) {  // a pipelined request is already here
      ReadHeader();
      return;
    }
    // Wait for the first bytes ourselves, so that until they come the
    // connection counts as idle and a drain may close it.
    state_ = State::kIdle;
    Tcp().expires_after(server_->options_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = Self()](beast::error_code ec, size_t n) {
      if (ec) {
        self->Shutdown();
        return;
      }
      self->buffer_.commit(n);
      self->ReadHeader();
    });
  }

  void ReadHeader() {
    state_ = State::kReading;
    started_ = Clock::now();
    Tcp().expires_after(server_->options_.read_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = Self()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) {
      OnReadError(ec);
      return;
    }
    if (auto refused = CheckHead(parser_->get(), server_->options_, target_); refused) {
      WriteProtocolError(*refused);
      return;
    }
    const auto& req = parser_->get();
    if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_,
                                                                       req.version());
      bhttp::async_write(stream_, *cont, [self = Self(), cont](beast::error_code ec, size_t) {
        if (ec) {
          self->Shutdown();
          return;
        }
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_, [self = Self()](beast::error_code ec, size_t) {
      if (ec) {
        self->OnReadError(ec);
        return;
      }
      self->Dispatch();
    });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      WriteProtocolError(
          {413, "body_too_large",
           fmt::format("request body exceeds {} bytes", server_->options_.body_limit)});
    } else if (ec == bhttp::error::header_limit) {
      WriteProtocolError({431, "headers_too_large", "request headers are too large"});
    } else if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
               ec == beast::error::timeout || ec == asio::error::operation_aborted ||
               ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated) {
      // (stream_truncated: a TLS client that closed without close_notify.)
      Shutdown();
    } else {
      // Beast's own message names the rule broken, never the bytes.
      WriteProtocolError(
          {400, "malformed_http", fmt::format("malformed HTTP request: {}", ec.message())});
    }
  }

  void FillConnection(Request& out) const {
    out.remote_address = remote_;
    out.received_at = started_;
  }

  void Dispatch() {
    state_ = State::kHandling;
    keep_alive_ = parser_->get().keep_alive();
    version_ = parser_->get().version();
    Request request;
    FillRequest(parser_->get(), target_, request);
    FillConnection(request);
    request_ = std::make_shared<Request>(request);  // kept without the body, for logs
    request.body = std::move(parser_->get().body());
    // Logged if the request is cut off at shutdown: the path is the
    // client's text, a card number in it masked.
    in_flight_key_ = server_->AddInFlight(fmt::format(
        "{} {} ({})", request_->method, RedactForClient(request_->path), request_->request_id));
    Tcp().expires_never();
    Done done = [self = Self()](Response response) {
      asio::post(self->executor(),
                 [self, r = std::move(response)]() mutable { self->Write(std::move(r)); });
    };
    // A handler reports its failures as responses; one that throws anyway
    // fails this request alone, never the loop that every other connection
    // of this thread shares.
    try {
      server_->handler_(std::move(request), done);
    } catch (const std::exception& e) {
      Response r;
      r.status = 500;
      r.body = ErrorBody("api_error", "internal_error", "An internal error occurred.");
      r.error_detail = fmt::format("the request handler threw: {}", e.what());
      done(std::move(r));
    }
  }

  void WriteProtocolError(const ProtocolError& error) {
    keep_alive_ = false;
    version_ = 11;
    // The request as far as it is known; never the unchecked target.
    request_ = std::make_shared<Request>();
    if (parser_ && parser_->is_header_done()) {
      request_->method = std::string(parser_->get().method_string());
    }
    FillConnection(*request_);
    request_->request_id = NewId("req");
    Response response;
    response.status = error.status;
    response.body = ErrorBody("invalid_request_error", error.code, error.message, error.param);
    response.error_detail = error.message;
    Write(std::move(response));
  }

  void Write(Response response) {
    if (state_ == State::kClosed) return;
    if (response.drop_connection) {
      if (server_->observer_) server_->observer_(*request_, response, Clock::now() - started_);
      if (in_flight_key_ != 0) server_->RemoveInFlight(std::exchange(in_flight_key_, 0));
      request_.reset();
      Shutdown();
      return;
    }
    state_ = State::kWriting;
    if (server_->draining_ || close_when_done_) keep_alive_ = false;
    res_.emplace();
    res_->version(version_);
    res_->result(static_cast<unsigned>(response.status));
    res_->set(bhttp::field::content_type, response.content_type);
    res_->set("X-Request-Id", request_->request_id);
    for (const auto& [name, value] : response.headers) res_->set(name, value);
    res_->keep_alive(keep_alive_);
    res_->body() = std::move(response.body);
    res_->prepare_payload();
    if (server_->observer_) {
      response.body.clear();
      if (!keep_alive_) response.SetHeader("Connection", "close");
      server_->observer_(*request_, response, Clock::now() - started_);
    }
    Tcp().expires_after(server_->options_.read_timeout);
    bhttp::async_write(stream_, *res_,
                       [self = Self()](beast::error_code ec, size_t) { self->OnWrite(ec); });
  }

  void OnWrite(beast::error_code ec) {
    if (in_flight_key_ != 0) server_->RemoveInFlight(std::exchange(in_flight_key_, 0));
    request_.reset();
    res_.reset();
    if (ec || !keep_alive_) {
      if constexpr (kTls) {
        if (!ec) {
          CloseNotify();
          return;
        }
      }
      Shutdown();
      return;
    }
    WaitForRequest();
  }

  void Shutdown() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    if (in_flight_key_ != 0) server_->RemoveInFlight(std::exchange(in_flight_key_, 0));
    beast::error_code ec;
    Tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
    Tcp().close();
  }

  [[no_unique_address]] Context context_;  // before stream_, which refers to it
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> res_;
  std::shared_ptr<Request> request_;
  RequestTarget target_;
  uint64_t in_flight_key_ = 0;  // 0: not in flight
  std::string remote_;
  State state_ = State::kIdle;
  bool keep_alive_ = true;
  bool close_when_done_ = false;
  unsigned version_ = 11;
  Clock::time_point started_ = Clock::now();
};

// Runs on the acceptor's strand, so no two run at once.
void Server::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (!accepting_ || ec == asio::error::operation_aborted) return;
  if (ec) {
    // Out of descriptors or kernel memory: accepting again at once fails
    // again at once (a spinning core). The backlog keeps the client waiting.
    int64_t errors = 0;
    {
      std::lock_guard lock(mu_);
      errors = ++accept_errors_;
    }
    if (errors == 1 || errors % 1000 == 0) {
      log::Warn("accept failed; retrying after a pause",
                {{"listener", options_.name},
                 {"error", ec.message()},
                 {"accept_errors", errors},
                 {"backoff_ms", options_.accept_backoff.count()}});
    }
    accept_backoff_timer_->expires_after(options_.accept_backoff);
    accept_backoff_timer_->async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec && self->accepting_) self->Accept();
    });
    return;
  }
  std::shared_ptr<Session> session;
  if (options_.tls) {
    session = std::make_shared<BasicSession<TlsStream>>(std::move(socket), shared_from_this(),
                                                        options_.tls->Current());
  } else {
    session = std::make_shared<BasicSession<beast::tcp_stream>>(
        std::move(socket), shared_from_this(), BasicSession<beast::tcp_stream>::Context{});
  }
  const bool paused = RegisterAtCap(session.get(), session);
  session->Start();
  if (!paused) Accept();
}

void Server::Impl::StopAccepting() {
  accepting_ = false;
  asio::post(acceptor_->get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_->close(ec);
  });
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(mu_);
    for (auto& [ptr, weak] : sessions_) {
      if (auto s = weak.lock()) sessions.push_back(std::move(s));
    }
  }
  for (auto& s : sessions) asio::post(s->executor(), [s] { s->CloseIfIdle(); });
}

void Server::Impl::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  StopAccepting();
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(mu_);
    for (auto& [ptr, weak] : sessions_) {
      if (auto s = weak.lock()) sessions.push_back(std::move(s));
    }
  }
  for (auto& s : sessions) asio::post(s->executor(), [s] { s->ForceClose(); });
  sessions.clear();
  // Let the closes run, then stop the loops.
  for (auto& loop : loops_) {
    asio::post(loop->ioc, [self = shared_from_this(), l = loop.get()] { l->ticker.cancel(); });
  }
  WaitIdle(Clock::now() + std::chrono::milliseconds(500));
  for (auto& loop : loops_) loop->ioc.stop();
  for (auto& t : threads_) {
    if (t.joinable()) {
      if (t.get_id() == std::this_thread::get_id()) {
        t.detach();
      } else {
        t.join();
      }
    }
  }
}

namespace {
std::vector<std::unique_ptr<asio::io_context>> MakeLoops(int n) {
  std::vector<std::unique_ptr<asio::io_context>> loops;
  for (int i = 0; i < std::max(1, n); ++i) {
    loops.push_back(std::make_unique<asio::io_context>(1));  // one thread runs each
  }
  return loops;
}
}  // namespace

Server::Server(ServerOptions options, AsyncHandler handler, ResponseObserver observer)
    : loops_(MakeLoops(options.io_threads)),
      impl_(std::make_shared<Impl>(loops_, std::move(options), std::move(handler),
                                   std::move(observer))) {}

asio::io_context* Server::CurrentLoop() { return t_current_loop; }

Server::~Server() {
  Stop();
  impl_->ReleaseLoopObjects();
}

payments::Result<uint16_t> Server::Listen(const std::string& address, uint16_t port) {
  return impl_->Listen(address, port);
}
void Server::Start() { impl_->Start(); }
void Server::BeginDrain() { impl_->BeginDrain(); }
void Server::StopAccepting() { impl_->StopAccepting(); }
bool Server::WaitIdle(Clock::time_point deadline) { return impl_->WaitIdle(deadline); }
void Server::Stop() { impl_->Stop(); }
bool Server::draining() const { return impl_->draining_; }

int Server::open_connections() const {
  std::lock_guard lock(impl_->mu_);
  return static_cast<int>(impl_->sessions_.size());
}

int Server::in_flight() const {
  std::lock_guard lock(impl_->mu_);
  return static_cast<int>(impl_->in_flight_.size());
}

int64_t Server::connections_total() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->connections_total_;
}

int64_t Server::accept_pauses() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->accept_pauses_;
}

int64_t Server::accept_errors() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->accept_errors_;
}

int64_t Server::tls_handshake_failures() const { return impl_->tls_handshake_failures_.load(); }

bool Server::tls() const { return impl_->options_.tls != nullptr; }

Clock::time_point Server::last_tick() const { return impl_->LastTick(); }

void Server::RunOnLoop(std::function<void()> fn) {
  const size_t i = impl_->next_posted_.fetch_add(1) % impl_->loops_.size();
  asio::post(impl_->loops_[i]->ioc, std::move(fn));
}

std::vector<std::string> Server::InFlightRequests() const {
  std::lock_guard lock(impl_->mu_);
  std::vector<std::string> out;
  for (const auto& [id, description] : impl_->in_flight_) out.push_back(description);
  return out;
}

}  // namespace payments::http
