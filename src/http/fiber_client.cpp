#include "http/fiber_client.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>

#include "fibers/fiber.h"

namespace payments::http {
namespace bhttp = boost::beast::http;
using Clock = std::chrono::steady_clock;

std::string_view ToString(TransportFailure failure) {
  switch (failure) {
    case TransportFailure::kNone:
      return "none";
    case TransportFailure::kConnect:
      return "connect";
    case TransportFailure::kTimeout:
      return "timeout";
    case TransportFailure::kClosed:
      return "closed";
    case TransportFailure::kMalformed:
      return "malformed";
  }
  return "unknown";
}

struct FiberClient::Impl {
  sockaddr_storage address{};
  socklen_t address_len = 0;
  std::string host_header;
  FiberClientOptions options;
  std::mutex mu;
  std::vector<int> idle;  // guarded by mu

  ~Impl() {
    for (int fd : idle) ::close(fd);
  }

  // A connection from the pool, or a new one; -1 and detail when none
  // could be opened.
  int Acquire(std::string& detail) {
    for (;;) {
      int fd = -1;
      {
        std::lock_guard lock(mu);
        if (idle.empty()) break;
        fd = idle.back();
        idle.pop_back();
      }
      // A connection the peer closed while it sat idle reads as EOF (or an
      // error) now; one still open has nothing to read. Checked before the
      // request is sent, so that a close after it is never mistaken for an
      // idle close and the request is never sent twice by this client.
      char byte;
      const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return fd;
      ::close(fd);
    }
    const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      detail = fmt::format("socket: {}", std::strerror(errno));
      return -1;
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), address_len) != 0 &&
        errno != EINPROGRESS) {
      detail = fmt::format("connect: {}", std::strerror(errno));
      ::close(fd);
      return -1;
    }
    if (!fibers::WaitSocket(fd, true, Clock::now() + options.connect_timeout)) {
      detail = fmt::format("connect: no answer within {} ms", options.connect_timeout.count());
      ::close(fd);
      return -1;
    }
    int error = 0;
    socklen_t len = sizeof(error);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
      detail = fmt::format("connect: {}", std::strerror(error != 0 ? error : errno));
      ::close(fd);
      return -1;
    }
    const int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
  }

  void Release(int fd, bool keep) {
    if (keep) {
      std::lock_guard lock(mu);
      if (idle.size() < options.max_idle) {
        idle.push_back(fd);
        return;
      }
    }
    ::close(fd);
  }

  // Writes all of data; false (and detail) when the peer is gone or the
  // deadline passes.
  bool WriteAll(int fd, std::string_view data, std::string& detail) {
    const Clock::time_point deadline = Clock::now() + options.read_timeout;
    while (!data.empty()) {
      const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!fibers::WaitSocket(fd, true, deadline)) {
          detail = "send: timed out";
          return false;
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      detail = fmt::format("send: {}", std::strerror(errno));
      return false;
    }
    return true;
  }

  FiberExchange Exchange(int fd, const std::string& request) {
    FiberExchange out;
    if (!WriteAll(fd, request, out.detail)) {
      out.failure = TransportFailure::kClosed;
      ::close(fd);
      return out;
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options.max_response_bytes);
    parser.header_limit(16 * 1024);
    parser.eager(true);
    std::string pending;  // bytes read and not yet parsed
    char buffer[16 * 1024];
    bool any_bytes = false;
    const Clock::time_point deadline = Clock::now() + options.read_timeout;
    while (!parser.is_done()) {
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (!fibers::WaitSocket(fd, false, deadline)) {
          out.failure = TransportFailure::kTimeout;
          out.detail = fmt::format("no whole answer within {} ms", options.read_timeout.count());
          ::close(fd);
          return out;
        }
        continue;
      }
      if (n <= 0) {
        boost::beast::error_code ec;
        if (n == 0 && any_bytes && parser.is_header_done()) {
          parser.put_eof(ec);  // a body delimited by the close
          if (!ec && parser.is_done()) break;
        }
        out.failure = TransportFailure::kClosed;
        out.detail = n == 0 ? "the peer closed the connection before answering"
                            : fmt::format("recv: {}", std::strerror(errno));
        ::close(fd);
        return out;
      }
      any_bytes = true;
      pending.append(buffer, static_cast<size_t>(n));
      boost::beast::error_code ec;
      size_t used = 0;
      do {
        used = parser.put(boost::asio::buffer(pending), ec);
        pending.erase(0, used);
      } while (!ec && used > 0 && !pending.empty() && !parser.is_done());
      if (ec == bhttp::error::need_more) ec = {};
      if (ec) {
        out.failure = TransportFailure::kMalformed;
        out.detail = fmt::format("malformed answer: {}", ec.message());
        ::close(fd);
        return out;
      }
    }
    auto& res = parser.get();
    out.response.status = static_cast<int>(res.result_int());
    out.response.body = std::move(res.body());
    Release(fd, res.keep_alive() && pending.empty());
    return out;
  }
};

FiberClient::FiberClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FiberClient::~FiberClient() = default;

payments::Result<std::unique_ptr<FiberClient>> FiberClient::Create(const std::string& host,
                                                                   int port,
                                                                   FiberClientOptions options) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    return std::unexpected(Error::Internal(
        fmt::format("cannot resolve {}:{}: {}", host, port, ::gai_strerror(rc)), ""));
  }
  auto impl = std::make_unique<Impl>();
  std::memcpy(&impl->address, found->ai_addr, found->ai_addrlen);
  impl->address_len = found->ai_addrlen;
  ::freeaddrinfo(found);
  impl->host_header = host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                                          : fmt::format("{}:{}", host, port);
  impl->options = options;
  return std::unique_ptr<FiberClient>(new FiberClient(std::move(impl)));
}

FiberExchange FiberClient::Send(std::string_view method, std::string_view target,
                                std::string_view body,
                                const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string request =
      fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\n", method, target, impl_->host_header);
  for (const auto& [name, value] : headers) request += fmt::format("{}: {}\r\n", name, value);
  if (!body.empty() || method == "POST" || method == "PUT") {
    request += fmt::format("Content-Length: {}\r\n", body.size());
  }
  request += "\r\n";
  request.append(body);

  FiberExchange out;
  const int fd = impl_->Acquire(out.detail);
  if (fd < 0) {
    out.failure = TransportFailure::kConnect;
    return out;
  }
  return impl_->Exchange(fd, request);
}

}  // namespace payments::http
