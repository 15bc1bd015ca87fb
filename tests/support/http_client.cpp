#include "support/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace payments::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

nlohmann::json HttpResponse::Json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

std::string HttpResponse::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

struct HttpClient::Impl {
  asio::io_context ioc;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  int port;
  std::chrono::milliseconds timeout;
};

HttpClient::HttpClient(int port, std::chrono::milliseconds timeout) : impl_(new Impl) {
  impl_->port = port;
  impl_->timeout = timeout;
}

HttpClient::~HttpClient() = default;

bool HttpClient::connected() const { return impl_->stream != nullptr; }

bool HttpClient::Connect() {
  if (impl_->stream) return true;
  beast::error_code ec;
  auto stream = std::make_unique<beast::tcp_stream>(impl_->ioc);
  stream->expires_after(impl_->timeout);
  stream->connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                          static_cast<unsigned short>(impl_->port)),
                  ec);
  if (ec) return false;
  stream->socket().set_option(asio::ip::tcp::no_delay(true), ec);
  impl_->stream = std::move(stream);
  impl_->buffer.clear();
  ++connections_opened_;
  return true;
}

HttpResponse HttpClient::Request(const std::string& method, const std::string& target,
                                 const std::string& body, const Headers& headers) {
  HttpResponse out;
  // A keep-alive connection may have been closed by the server since; then
  // a fresh one is opened and the request is sent once more.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = impl_->stream != nullptr;
    if (!Connect()) {
      out.transport_error = "connect failed";
      return out;
    }
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    beast::error_code ec;
    impl_->stream->expires_after(impl_->timeout);
    http::write(*impl_->stream, req, ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (!ec) http::read(*impl_->stream, impl_->buffer, parser, ec);
    if (ec) {
      impl_->stream.reset();
      // Only a reused connection the server had closed is worth a second try.
      if (reused && (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
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

HttpResponse HttpClient::Post(const std::string& target, const std::string& body,
                              const Headers& headers) {
  return Request("POST", target, body, headers);
}

Headers JsonHeaders(const std::string& key, const std::string& idempotency_key) {
  Headers h = {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}};
  if (!idempotency_key.empty()) h.emplace_back("Idempotency-Key", idempotency_key);
  return h;
}

}  // namespace payments::testing
