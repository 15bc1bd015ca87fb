#include "http/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>

namespace payments::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

std::string ClientResponse::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

struct Client::Impl {
  asio::io_context ioc;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::string host;
  int port = 0;
  std::chrono::milliseconds timeout;
};

Client::Client(std::string host, int port, std::chrono::milliseconds timeout) : impl_(new Impl) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->timeout = timeout;
}

Client::~Client() = default;

bool Client::connected() const { return impl_->stream != nullptr; }

bool Client::Connect() {
  if (impl_->stream) return true;
  beast::error_code ec;
  asio::ip::tcp::resolver resolver(impl_->ioc);
  const auto endpoints = resolver.resolve(impl_->host, std::to_string(impl_->port), ec);
  if (ec) return false;
  auto stream = std::make_unique<beast::tcp_stream>(impl_->ioc);
  stream->expires_after(impl_->timeout);
  stream->connect(endpoints, ec);
  if (ec) return false;
  stream->socket().set_option(asio::ip::tcp::no_delay(true), ec);
  impl_->stream = std::move(stream);
  impl_->buffer.clear();
  ++connections_opened_;
  return true;
}

ClientResponse Client::Send(const std::string& method, const std::string& target,
                            const std::string& body,
                            const std::vector<std::pair<std::string, std::string>>& headers) {
  ClientResponse out;
  // A kept-alive connection the server closed while idle is reopened and the
  // request sent again: the server never closes a connection with a request
  // in it, so nothing can have run twice.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = impl_->stream != nullptr;
    if (!Connect()) {
      out.transport_error = "connect failed";
      return out;
    }
    bhttp::request<bhttp::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(bhttp::field::host, impl_->host);
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    beast::error_code ec;
    impl_->stream->expires_after(impl_->timeout);
    bhttp::write(*impl_->stream, req, ec);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (!ec) bhttp::read(*impl_->stream, impl_->buffer, parser, ec);
    if (ec) {
      impl_->stream.reset();
      if (reused && (ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset ||
                     ec == asio::error::broken_pipe || ec == asio::error::eof)) {
        continue;
      }
      out.transport_error = ec.message();
      return out;
    }
    auto res = parser.release();
    out.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(field.value());
    }
    out.body = std::move(res.body());
    if (!res.keep_alive()) {
      out.connection_closed = true;
      beast::error_code ignored;
      impl_->stream->socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      impl_->stream.reset();
    }
    return out;
  }
  out.transport_error = "connection closed";
  return out;
}

bool ParseHttpUrl(const std::string& url, std::string& host, int& port) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return false;
  std::string rest = url.substr(kScheme.size());
  if (const size_t slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = rest.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string p = rest.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  return ec == std::errc() && ptr == p.data() + p.size() && port > 0 && port < 65536;
}

}  // namespace payments::http
