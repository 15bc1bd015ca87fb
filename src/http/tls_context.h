// TLS for the public listener: a server context built from a PEM certificate
// chain file and a PEM private key file with the policy of docs/security.md
// ("TLS") — TLS 1.2 and 1.3 only, TLS 1.2 ciphers ECDHE with AEAD, the
// server's cipher order, no compression, no renegotiation, no session
// resumption — and rebuilt from the same files on Reload (SIGHUP).
//
// A connection takes Current() when it is accepted and holds that context for
// its life (the shared_ptr), so a reload changes what new connections see and
// never what open ones use; a reload that fails keeps the current context.
//
// Thread-safe: Current() and the accessors from any thread without waiting on
// a reload; Reload() calls are serialised.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/error.h"

namespace boost::asio::ssl {
class context;
}

namespace payments::http {

struct TlsFiles {
  std::string cert_file;  // the certificate, then its intermediates (PEM)
  std::string key_file;   // its private key (PEM, not encrypted)
};

// What the loaded certificate says, for logs.
struct TlsCertificateInfo {
  std::string subject;    // RFC 2253
  std::string serial;     // hexadecimal
  std::string not_after;  // "Jan  1 00:00:00 2030 GMT"
};

// A server context from the files, or InvalidRequest in one line naming the
// setting and the file: unreadable, not PEM, an encrypted key, or a key that
// does not belong to the certificate.
payments::Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const TlsFiles& files);

// The subject, serial and expiry of the context's certificate.
TlsCertificateInfo DescribeCertificate(boost::asio::ssl::context& context);

class ServerTls {
 public:
  // Loads the files once; an error as MakeServerTlsContext's.
  static payments::Result<std::unique_ptr<ServerTls>> Load(TlsFiles files);
  // From a context already built from the files.
  ServerTls(TlsFiles files, std::shared_ptr<boost::asio::ssl::context> context);
  ServerTls(const ServerTls&) = delete;
  ServerTls& operator=(const ServerTls&) = delete;

  // The context for a new connection.
  std::shared_ptr<boost::asio::ssl::context> Current() const { return current_.load(); }
  TlsCertificateInfo info() const;

  // Re-reads the files into a new context and makes it current; on failure
  // the current one stays. Either way it is counted.
  payments::Result<TlsCertificateInfo> Reload();
  int64_t reloads_ok() const { return reloads_ok_.load(); }
  int64_t reloads_failed() const { return reloads_failed_.load(); }

 private:
  const TlsFiles files_;
  std::atomic<std::shared_ptr<boost::asio::ssl::context>> current_;
  mutable std::mutex mu_;  // serialises Reload; guards info_
  TlsCertificateInfo info_;
  std::atomic<int64_t> reloads_ok_{0};
  std::atomic<int64_t> reloads_failed_{0};
};

}  // namespace payments::http
