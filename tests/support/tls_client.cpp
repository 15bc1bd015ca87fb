#include "support/tls_client.h"

#include <openssl/bn.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <optional>

namespace payments::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

struct TlsClient::Impl {
  Impl(int p, TlsClientOptions o)
      : port(p), options(std::move(o)), context(asio::ssl::context::tls_client) {}

  // Runs the loop until the operation started before it completes; each
  // operation has the stream's deadline, so this ends.
  void Run() {
    ioc.restart();
    ioc.run();
  }
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(*stream); }
  SSL* Ssl() { return stream ? stream->native_handle() : nullptr; }

  int port;
  TlsClientOptions options;
  asio::io_context ioc;
  asio::ssl::context context;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;
};

TlsClient::TlsClient(int port, TlsClientOptions options)
    : impl_(std::make_unique<Impl>(port, std::move(options))) {}

TlsClient::~TlsClient() = default;

bool TlsClient::Connect() {
  Impl& d = *impl_;
  SSL_CTX* ctx = d.context.native_handle();
  // Whatever the test asks for, older protocols and weak ciphers included:
  // the point is what the server refuses.
  SSL_CTX_set_security_level(ctx, 0);
  if (d.options.min_version != 0) SSL_CTX_set_min_proto_version(ctx, d.options.min_version);
  if (d.options.max_version != 0) SSL_CTX_set_max_proto_version(ctx, d.options.max_version);
  if (!d.options.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, d.options.ciphers.c_str()) != 1) {
    error_ = "the client cannot offer " + d.options.ciphers;
    return false;
  }
  beast::error_code ec;
  if (!d.options.ca_file.empty()) {
    d.context.load_verify_file(d.options.ca_file, ec);
    if (ec) {
      error_ = "cannot load the CA: " + ec.message();
      return false;
    }
    d.context.set_verify_mode(asio::ssl::verify_peer);
  }
  d.stream.emplace(d.ioc, d.context);
  if (!d.options.ca_file.empty()) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(d.Ssl()), "127.0.0.1");
  }
  d.Tcp().expires_after(d.options.timeout);
  d.Tcp().async_connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(d.port)),
      [&](beast::error_code e) { ec = e; });
  d.Run();
  if (ec) {
    error_ = "connect: " + ec.message();
    return false;
  }
  d.Tcp().expires_after(d.options.timeout);
  d.stream->async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
  d.Run();
  if (ec) {
    error_ = "handshake: " + ec.message();
    return false;
  }
  return true;
}

std::string TlsClient::protocol() const {
  SSL* ssl = impl_->Ssl();
  return ssl != nullptr ? SSL_get_version(ssl) : "";
}

std::string TlsClient::cipher() const {
  SSL* ssl = impl_->Ssl();
  const SSL_CIPHER* c = ssl != nullptr ? SSL_get_current_cipher(ssl) : nullptr;
  return c != nullptr ? SSL_CIPHER_get_name(c) : "";
}

std::string TlsClient::peer_serial() const {
  SSL* ssl = impl_->Ssl();
  X509* cert = ssl != nullptr ? SSL_get0_peer_certificate(ssl) : nullptr;
  if (cert == nullptr) return "";
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  char* hex = bn != nullptr ? BN_bn2hex(bn) : nullptr;
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

std::string TlsClient::peer_subject() const {
  SSL* ssl = impl_->Ssl();
  X509* cert = ssl != nullptr ? SSL_get0_peer_certificate(ssl) : nullptr;
  if (cert == nullptr) return "";
  char* text = X509_NAME_oneline(X509_get_subject_name(cert), nullptr, 0);
  std::string out = text != nullptr ? text : "";
  OPENSSL_free(text);
  return out;
}

HttpResponse TlsClient::Request(const std::string& method, const std::string& target,
                                const std::string& body, const Headers& headers) {
  Impl& d = *impl_;
  HttpResponse out;
  if (!d.stream) {
    out.transport_error = "not connected";
    return out;
  }
  bhttp::request<bhttp::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(bhttp::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  beast::error_code ec;
  d.Tcp().expires_after(d.options.timeout);
  bhttp::async_write(*d.stream, req, [&](beast::error_code e, size_t) { ec = e; });
  d.Run();
  if (ec) {
    out.transport_error = "write: " + ec.message();
    return out;
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(16 * 1024 * 1024);
  d.Tcp().expires_after(d.options.timeout);
  bhttp::async_read(*d.stream, d.buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
  d.Run();
  if (ec) {
    out.transport_error = "read: " + ec.message();
    return out;
  }
  const auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  out.body = res.body();
  out.connection_closed = !res.keep_alive();
  return out;
}

}  // namespace payments::testing
