#include "support/webhook_receiver.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace payments::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr uint64_t kMaxBody = 1024 * 1024;
constexpr uint32_t kMaxHeader = 64 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The Content-Length of a request whose head the parser refused (its
// content_length() is only for a head it accepted).
std::optional<uint64_t> DeclaredLength(const bhttp::request<bhttp::string_body>& req) {
  const std::string_view text = req[bhttp::field::content_length];
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return n;
}

bhttp::response<bhttp::string_body> Response(int status, bool keep_alive, std::string body = "") {
  bhttp::response<bhttp::string_body> res;
  res.version(11);
  res.result(static_cast<unsigned>(status));
  res.body() = std::move(body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

}  // namespace

struct WebhookReceiver::Impl {
  struct Connection {
    std::thread thread;
    int fd = -1;  // -1 once the connection's thread closes it
    bool finished = false;
  };

  WebhookBehaviour behaviour;
  asio::io_context ioc;  // never run: every socket operation here is synchronous
  std::optional<asio::ssl::context> ssl;
  tcp::acceptor acceptor{ioc};
  int listen_fd = -1;
  int port = 0;
  std::atomic<int> connections{0};
  std::thread acceptor_thread;
  std::once_flag stop_once;

  mutable std::mutex mu;
  std::condition_variable stopping_cv;
  bool stopping = false;
  std::vector<ReceivedWebhook> received;
  std::map<int, Connection> live;  // by id
  int next_id = 0;

  bool Stopping() {
    std::lock_guard lock(mu);
    return stopping;
  }

  // Joins the threads of closed connections; with mu held.
  void ReapFinished() {
    for (auto it = live.begin(); it != live.end();) {
      if (it->second.finished) {
        it->second.thread.join();  // it has nothing left to do but return
        it = live.erase(it);
      } else {
        ++it;
      }
    }
  }

  void AcceptLoop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = acceptor.accept(ec);
      std::lock_guard lock(mu);
      if (stopping) return;  // a socket accepted just now closes with it
      if (ec) continue;
      ReapFinished();
      ++connections;
      const int id = next_id++;
      Connection& c = live[id];
      c.fd = socket.native_handle();
      c.thread = std::thread([this, id, s = std::move(socket)]() mutable { Serve(id, s); });
    }
  }

  void Serve(int id, tcp::socket& socket) {
    beast::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    if (ssl) {
      asio::ssl::stream<tcp::socket&> stream(socket, *ssl);
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (!ec) Converse(stream);
      // No close_notify exchange: it would wait on the client. Every response
      // carries its length, so the client knows it has it all.
    } else {
      Converse(socket);
    }
    std::lock_guard lock(mu);
    live[id].fd = -1;  // Stop() must not shut down a descriptor reused by then
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    live[id].finished = true;
  }

  template <typename Stream>
  void Converse(Stream& stream) {
    beast::flat_buffer buffer;
    while (!Stopping()) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(kMaxHeader);
      parser.body_limit(kMaxBody);
      beast::error_code ec;
      bhttp::read_header(stream, buffer, parser, ec);
      // A declared length over the limit fails here already, a chunked body
      // in the read below.
      if (ec && ec != bhttp::error::body_limit) return;
      if (!ec && beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
        bhttp::write(stream, go_on, ec);
        if (ec) return;
      }
      if (!ec) bhttp::read(stream, buffer, parser, ec);
      if (ec == bhttp::error::body_limit) {
        auto res = Response(413, false, "request body over 1 MiB\n");
        bhttp::write(stream, res, ec);
        if (!ec) Drain(stream, buffer, DeclaredLength(parser.get()));
        return;
      }
      if (ec) return;

      bhttp::request<bhttp::string_body> req = parser.release();
      ReceivedWebhook request;
      request.method = std::string(req.method_string());
      request.target = std::string(req.target());
      for (const auto& field : req) {
        std::string& value = request.headers[Lower(field.name_string())];
        if (!value.empty()) value += ", ";
        value += std::string(field.value());
      }
      request.body = std::move(req.body());
      request.at = std::chrono::system_clock::now();
      const bool client_keeps_alive = req.keep_alive();
      const int n = Record(request);

      const WebhookReply reply = Decide(request, n);
      if (reply.never_answer) {
        std::unique_lock lock(mu);
        stopping_cv.wait(lock, [this] { return stopping; });
        return;
      }
      bhttp::response<bhttp::string_body> res;
      bool keep_alive = client_keeps_alive;
      try {
        res = Build(reply, client_keeps_alive, keep_alive);
      } catch (const std::exception& e) {
        keep_alive = false;
        res = Response(500, false, std::string("bad WebhookReply: ") + e.what() + "\n");
      }
      bhttp::write(stream, res, ec);
      if (ec || !keep_alive) return;
    }
  }

  // Reads and drops the rest of a refused body (the declared length, or up to
  // EOF), so that closing does not reset the connection under the client
  // before it has read the answer.
  template <typename Stream>
  static void Drain(Stream& stream, beast::flat_buffer& buffer,
                    std::optional<uint64_t> content_length) {
    constexpr uint64_t kMaxDrain = 64 * 1024 * 1024;
    uint64_t left = content_length ? *content_length : kMaxDrain;
    const uint64_t buffered = buffer.size();
    left = left > buffered ? left - buffered : 0;
    left = std::min(left, kMaxDrain);
    std::vector<char> scratch(64 * 1024);
    while (left > 0) {
      beast::error_code ec;
      const size_t n = stream.read_some(
          asio::buffer(scratch.data(), std::min<uint64_t>(scratch.size(), left)), ec);
      if (ec) return;
      left -= n;
    }
  }

  int Record(const ReceivedWebhook& request) {
    std::lock_guard lock(mu);
    received.push_back(request);
    return static_cast<int>(received.size()) - 1;
  }

  WebhookReply Decide(const ReceivedWebhook& request, int n) {
    if (!behaviour) return {};
    try {
      return behaviour(request, n);
    } catch (const std::exception& e) {
      return {.status = 500, .body = std::string("behaviour threw: ") + e.what() + "\n"};
    }
  }

  // The reply as a response; keep_alive is false when either side asks to close.
  static bhttp::response<bhttp::string_body> Build(const WebhookReply& reply,
                                                   bool client_keeps_alive, bool& keep_alive) {
    if (reply.status < 100 || reply.status > 999) {
      throw std::invalid_argument("status " + std::to_string(reply.status));
    }
    bhttp::response<bhttp::string_body> res;
    res.version(11);
    res.result(static_cast<unsigned>(reply.status));
    for (const auto& [name, value] : reply.headers) res.insert(name, value);
    keep_alive = client_keeps_alive && res.keep_alive();  // the reply may say Connection: close
    res.keep_alive(keep_alive);
    // 1xx, 204 and 304 have no body.
    const bool bodiless = reply.status < 200 || reply.status == 204 || reply.status == 304;
    if (!bodiless) res.body() = reply.body;
    res.prepare_payload();
    return res;
  }
};

WebhookReceiver::WebhookReceiver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<WebhookReceiver> WebhookReceiver::Start(WebhookBehaviour behaviour,
                                                        std::optional<TestCertificate> tls) {
  auto impl = std::make_unique<Impl>();
  impl->behaviour = std::move(behaviour);
  beast::error_code ec;
  if (tls) {
    impl->ssl.emplace(asio::ssl::context::tls_server);
    impl->ssl->use_certificate_chain_file(tls->cert_file, ec);
    if (!ec) impl->ssl->use_private_key_file(tls->key_file, asio::ssl::context::pem, ec);
    if (ec) {
      ADD_FAILURE() << "webhook receiver: cannot load " << tls->cert_file << " / " << tls->key_file
                    << ": " << ec.message();
      return nullptr;
    }
  }
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    ADD_FAILURE() << "webhook receiver: cannot listen on 127.0.0.1: " << ec.message();
    return nullptr;
  }
  impl->port = impl->acceptor.local_endpoint().port();
  impl->listen_fd = impl->acceptor.native_handle();
  Impl& d = *impl;
  d.acceptor_thread = std::thread([&d] { d.AcceptLoop(); });
  return std::unique_ptr<WebhookReceiver>(new WebhookReceiver(std::move(impl)));
}

WebhookReceiver::~WebhookReceiver() { Stop(); }

void WebhookReceiver::Stop() {
  Impl& d = *impl_;
  std::call_once(d.stop_once, [&d] {
    {
      std::lock_guard lock(d.mu);
      d.stopping = true;
    }
    d.stopping_cv.notify_all();  // held connections let go
    // A listening socket shut down fails the accept() blocked on it (Linux).
    ::shutdown(d.listen_fd, SHUT_RDWR);
    d.acceptor_thread.join();
    beast::error_code ec;
    d.acceptor.close(ec);
    // Every open connection's blocked read (or handshake, or write) fails.
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(d.mu);
      for (auto& [id, c] : d.live) {
        if (c.fd >= 0) ::shutdown(c.fd, SHUT_RDWR);
        threads.push_back(std::move(c.thread));
      }
    }
    for (std::thread& t : threads) t.join();
    std::lock_guard lock(d.mu);
    d.live.clear();
  });
}

int WebhookReceiver::port() const { return impl_->port; }

std::string WebhookReceiver::Url(std::string_view path) const {
  return std::string(impl_->ssl ? "https" : "http") +
         "://127.0.0.1:" + std::to_string(impl_->port) + std::string(path);
}

std::vector<ReceivedWebhook> WebhookReceiver::Received() const {
  std::lock_guard lock(impl_->mu);
  return impl_->received;
}

size_t WebhookReceiver::Count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->received.size();
}

int WebhookReceiver::Connections() const { return impl_->connections.load(); }

WebhookBehaviour AlwaysStatus(int status) {
  return [status](const ReceivedWebhook&, int) { return WebhookReply{.status = status}; };
}

WebhookBehaviour FailTimesThenSucceed(int failures, int failure_status) {
  return [failures, failure_status](const ReceivedWebhook&, int n) {
    return WebhookReply{.status = n < failures ? failure_status : 200};
  };
}

WebhookBehaviour NeverAnswer() {
  return [](const ReceivedWebhook&, int) { return WebhookReply{.never_answer = true}; };
}

WebhookBehaviour RetryAfter(int status, std::string retry_after_value, int times) {
  return [status, value = std::move(retry_after_value), times](const ReceivedWebhook&, int n) {
    if (n >= times) return WebhookReply{};
    return WebhookReply{.status = status, .headers = {{"Retry-After", value}}};
  };
}

}  // namespace payments::testing
