// A TLS client for tests of the TLS listener: one connection to 127.0.0.1,
// on Asio's ssl::stream, with the protocol versions and TLS 1.2 ciphers it
// offers chosen by the test (older ones included, which OpenSSL's defaults
// would refuse on the client side), verifying the server against a CA file
// and the name 127.0.0.1. Requests go over the one connection (keep-alive).
// Every operation has a deadline.
//
//   TlsClient c(port, {.ca_file = certs.ca_file()});
//   ASSERT_TRUE(c.Connect()) << c.error();
//   HttpResponse r = c.Get("/version");
//
// Not thread-safe; one per test thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "support/http_client.h"

namespace payments::testing {

struct TlsClientOptions {
  std::string ca_file;    // verify the server against it; empty: no verification
  int min_version = 0;    // TLS1_VERSION … TLS1_3_VERSION; 0: any
  int max_version = 0;    // 0: any
  std::string ciphers{};  // TLS 1.2 and older cipher list; empty: OpenSSL's defaults
  std::chrono::milliseconds timeout{10'000};
};

class TlsClient {
 public:
  TlsClient(int port, TlsClientOptions options);
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;
  ~TlsClient();

  // Connects and completes the handshake; false (and error()) when either fails.
  bool Connect();
  const std::string& error() const { return error_; }

  // Of the connection: "TLSv1.3", the cipher's OpenSSL name, the server
  // certificate's serial in hexadecimal and its subject.
  std::string protocol() const;
  std::string cipher() const;
  std::string peer_serial() const;
  std::string peer_subject() const;

  // One request on the connection (status 0 and transport_error on failure).
  HttpResponse Request(const std::string& method, const std::string& target,
                       const std::string& body = "", const Headers& headers = {});
  HttpResponse Get(const std::string& target, const Headers& headers = {}) {
    return Request("GET", target, "", headers);
  }
  HttpResponse Post(const std::string& target, const std::string& body,
                    const Headers& headers = {}) {
    return Request("POST", target, body, headers);
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string error_;
};

}  // namespace payments::testing
