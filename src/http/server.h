// An HTTP/1.1 server on Boost.Beast with keep-alive and the drain controls a
// zero-downtime shutdown needs (in the manner of Envoy's drain manager):
//
//   BeginDrain()     every response from now on carries `Connection: close`
//                    and its connection closes after it;
//   StopAccepting()  the listener closes and idle keep-alive connections
//                    close; a connection mid-request finishes it first;
//   WaitIdle(t)      waits until every connection has closed, or t;
//   Stop()           closes whatever is left and joins the I/O threads.
//
// Before any handler sees a request, the server refuses (and closes on) what
// could be read two ways or that it will not hold: framing against RFC 9112
// (a Transfer-Encoding not ending in chunked, with Content-Length, or
// disagreeing lengths; 400), a target that is not canonical
// (http/request_target.h; 400, or 414 past 8 KiB), too many or too large
// headers (431), a body over the limit (413), an X-Request-Id that is not 1–128
// visible ASCII characters (400). A request must arrive whole within
// read_timeout of its first byte (one byte a second is cut there); a
// connection idle for idle_timeout closes. A handler that throws answers 500.
//
// Each I/O thread runs an event loop of its own (an io_context run by that
// thread alone); connections are spread over them in turn, and a connection
// and its requests stay on one. Each request goes to the AsyncHandler on the
// I/O thread that read it; the handler calls `done` once, from any thread.
// It may run the request there on a fiber that parks while it waits
// (CurrentLoop() is the loop to give fibers::Start), or elsewhere (a worker
// pool). A timer ticks on each loop so /livez can tell a stuck one.
//
// With ServerOptions::tls set the listener speaks TLS only (http/tls_context.h):
// each connection's handshake must finish within read_timeout, counts
// against max_connections like any connection, and a failed one is counted
// (tls_handshake_failures), never answered. A connection keeps the TLS
// context it was accepted with; a reload changes only later ones.
//
// Thread-safe: all public methods may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "http/message.h"

namespace boost::asio {
class io_context;
}

namespace payments::http {

class ServerTls;

struct ServerOptions {
  std::string name = "public";  // for logs and metrics
  size_t body_limit = 64 * 1024;
  size_t header_limit = 16 * 1024;  // the request line and every header field, in bytes
  size_t max_header_count = 100;
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive idle before close
  std::chrono::milliseconds read_timeout{30'000};  // a started request must arrive in this
  int io_threads = 1;
  // At this many open connections the server stops accepting until one
  // closes; the connections beyond wait in the kernel's listen backlog
  // (docs/security.md, "Connections"). 0: no cap.
  size_t max_connections = 1000;
  // After accept fails for want of file descriptors (EMFILE, ENFILE, ENOBUFS,
  // ENOMEM) the next attempt waits this long instead of spinning a core.
  std::chrono::milliseconds accept_backoff{100};
  // The certificate and key of a TLS listener; null: plain HTTP.
  std::shared_ptr<const ServerTls> tls{};
};

using Done = std::function<void(Response)>;
using AsyncHandler = std::function<void(Request, Done)>;
// Called once per response written (including the server's own 4xx), on an
// I/O thread: for access logs and metrics.
using ResponseObserver =
    std::function<void(const Request&, const Response&, std::chrono::nanoseconds elapsed)>;

class Server {
 public:
  Server(ServerOptions options, AsyncHandler handler, ResponseObserver observer = {});
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  // Binds and listens; port 0 picks a free port. Returns the bound port.
  payments::Result<uint16_t> Listen(const std::string& address, uint16_t port);
  // Starts the I/O threads (accepting begins).
  void Start();

  void BeginDrain();
  void StopAccepting();
  bool WaitIdle(std::chrono::steady_clock::time_point deadline);
  void Stop();

  bool draining() const;
  int open_connections() const;
  int in_flight() const;
  int64_t connections_total() const;
  // Times accepting paused at max_connections, and accept errors (each one
  // followed by accept_backoff), since Start.
  int64_t accept_pauses() const;
  int64_t accept_errors() const;
  // TLS handshakes that failed or timed out (a TLS listener), since Start.
  int64_t tls_handshake_failures() const;
  bool tls() const;
  // Last tick of the event loop; stale when the loop is stuck.
  std::chrono::steady_clock::time_point last_tick() const;
  // "POST /v1/payments (req_...)" for each request still being handled.
  std::vector<std::string> InFlightRequests() const;

  // Runs fn on one of the event loops, each in turn. For fault injection
  // drills (a stalled loop).
  void RunOnLoop(std::function<void()> fn);

  // The event loop the calling thread runs, or null off the I/O threads.
  static boost::asio::io_context* CurrentLoop();

  class Impl;

 private:
  // The event loops outlive the Impl: handlers still queued when a loop
  // stops hold the Impl (and its sessions), and destroying the loops after
  // `impl_` destroys them, freeing the Impl. Owned by the Impl, a loop and
  // the handlers in it would keep each other alive (found by LeakSanitizer).
  std::vector<std::unique_ptr<boost::asio::io_context>> loops_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace payments::http
