// Certificates made at run time with the OpenSSL library, for tests of the
// TLS listener: a CA, and server certificates for localhost and 127.0.0.1
// signed by it, each written as PEM files into a private directory that is
// removed with the object. No `openssl` command needed.
//
//   TestCertificates certs;
//   const TestCertificate& server = certs.Issue("server one", 1);
//   env["PAYMENTS_TLS_CERT_FILE"] = server.cert_file;
//   TlsClient c(port, {.ca_file = certs.ca_file()});
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace payments::testing {

struct TestCertificate {
  std::string cert_file;  // PEM: the certificate
  std::string key_file;   // PEM: its RSA private key, not encrypted
  std::string serial;     // hexadecimal, as OpenSSL prints it ("0A")
};

class TestCertificates {
 public:
  TestCertificates();  // makes the directory and the CA
  TestCertificates(const TestCertificates&) = delete;
  TestCertificates& operator=(const TestCertificates&) = delete;
  ~TestCertificates();

  const std::string& dir() const { return dir_; }
  const std::string& ca_file() const { return ca_file_; }

  // A server certificate (RSA 2048, SHA-256) for DNS:localhost and
  // IP:127.0.0.1 with this common name and serial, signed by the CA.
  TestCertificate Issue(const std::string& common_name, uint64_t serial);

  // Writes a file in the directory; returns its path.
  std::string Write(const std::string& name, const std::string& text) const;
  // `key_file` again, encrypted with AES-256 under a password.
  std::string WriteEncryptedKey(const TestCertificate& cert) const;

 private:
  std::string dir_;
  std::string ca_file_;
  std::string ca_cert_pem_;
  std::string ca_key_pem_;
};

std::string ReadTextFile(const std::string& path);

}  // namespace payments::testing
