#include "http/tls_context.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <cstring>

namespace payments::http {
namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2: forward secrecy (ECDHE) and AEAD (AES-GCM, ChaCha20-Poly1305) only,
// the strongest first for each key type (Mozilla's "intermediate" without
// DHE). TLS 1.3's suites are all AEAD with forward secrecy.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";

// The reason of the first OpenSSL error, the cause ("no start line", "No such
// file or directory"; the later ones only say where it surfaced: "PEM lib"),
// and the queue emptied.
std::string TakeOpenSslReason() {
  const unsigned long code = ERR_peek_error();
  const char* reason = code == 0                          ? nullptr
                       : ERR_GET_LIB(code) == ERR_LIB_SYS ? std::strerror(ERR_GET_REASON(code))
                                                          : ERR_reason_error_string(code);
  std::string out = reason != nullptr ? reason : "unknown OpenSSL error";
  ERR_clear_error();
  return out;
}

payments::Error Invalid(std::string message) {
  return payments::Error::InvalidRequest("tls_configuration", std::move(message));
}

// A key file that asks for a password fails instead of prompting on a terminal.
int NoPassword(char*, int, int, void*) { return 0; }

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

}  // namespace

payments::Result<std::shared_ptr<ssl::context>> MakeServerTlsContext(const TlsFiles& files) {
  ERR_clear_error();
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, 0) != 1 ||
      SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(ctx, kTls13Suites) != 1 ||
      SSL_CTX_set1_groups_list(ctx, kGroups) != 1 || SSL_CTX_set_num_tickets(ctx, 0) != 1) {
    return std::unexpected(
        Invalid(fmt::format("cannot apply the TLS policy: {}", TakeOpenSslReason())));
  }
  SSL_CTX_set_default_passwd_cb(ctx, NoPassword);
  if (SSL_CTX_use_certificate_chain_file(ctx, files.cert_file.c_str()) != 1) {
    return std::unexpected(Invalid(fmt::format("cannot load the TLS certificate chain from {}: {}",
                                               files.cert_file, TakeOpenSslReason())));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return std::unexpected(
        Invalid(fmt::format("cannot load the TLS private key from {} (or it does not match the "
                            "certificate in {}): {}",
                            files.key_file, files.cert_file, TakeOpenSslReason())));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return std::unexpected(
        Invalid(fmt::format("the TLS private key in {} does not match the certificate in {}: {}",
                            files.key_file, files.cert_file, TakeOpenSslReason())));
  }
  return context;
}

TlsCertificateInfo DescribeCertificate(ssl::context& context) {
  TlsCertificateInfo info;
  X509* cert = SSL_CTX_get0_certificate(context.native_handle());
  if (cert == nullptr) return info;
  std::unique_ptr<BIO, decltype(&BIO_free)> subject(BIO_new(BIO_s_mem()), BIO_free);
  if (subject &&
      X509_NAME_print_ex(subject.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
    info.subject = BioText(subject.get());
  }
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr), BN_free);
  if (serial) {
    char* hex = BN_bn2hex(serial.get());
    if (hex != nullptr) info.serial = hex;
    OPENSSL_free(hex);
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> expiry(BIO_new(BIO_s_mem()), BIO_free);
  if (expiry && ASN1_TIME_print(expiry.get(), X509_get0_notAfter(cert)) == 1) {
    info.not_after = BioText(expiry.get());
  }
  return info;
}

ServerTls::ServerTls(TlsFiles files, std::shared_ptr<ssl::context> context)
    : files_(std::move(files)), info_(DescribeCertificate(*context)) {
  current_.store(std::move(context));
}

payments::Result<std::unique_ptr<ServerTls>> ServerTls::Load(TlsFiles files) {
  auto context = MakeServerTlsContext(files);
  if (!context) return std::unexpected(context.error());
  return std::make_unique<ServerTls>(std::move(files), std::move(*context));
}

TlsCertificateInfo ServerTls::info() const {
  std::lock_guard lock(mu_);
  return info_;
}

payments::Result<TlsCertificateInfo> ServerTls::Reload() {
  std::lock_guard lock(mu_);
  auto context = MakeServerTlsContext(files_);
  if (!context) {
    ++reloads_failed_;
    return std::unexpected(context.error());
  }
  info_ = DescribeCertificate(**context);
  current_.store(std::move(*context));
  ++reloads_ok_;
  return info_;
}

}  // namespace payments::http
