// TLS on the public listener, against the real binary with certificates the
// test makes (support/test_certificates.h): payments over TLS, only TLS 1.2
// and 1.3 with ECDHE and AEAD, plain HTTP and silent clients turned away
// without stopping anything, the certificate reloaded on SIGHUP for new
// connections while open ones keep theirs, a broken reload kept out, SIGHUP
// without TLS ignored, and the configuration errors that stop `serve` at
// start (docs/security.md, "TLS").
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <string>

#include "support/prometheus.h"
#include "support/raw_connection.h"
#include "support/service_fixture.h"
#include "support/test_certificates.h"
#include "support/tls_client.h"

namespace payments::testing {
namespace {

using namespace std::chrono_literals;

double Metric(int admin_port, const std::string& name,
              const std::map<std::string, std::string>& labels) {
  HttpClient admin(admin_port);
  const double v = ParsePrometheus(admin.Get("/metrics").body).Value(name, labels);
  return std::isnan(v) ? 0 : v;
}

double HandshakeFailures(int admin_port) {
  return Metric(admin_port, "payments_http_tls_handshake_failures_total", {{"listener", "public"}});
}

class TlsTest : public ServiceTest {
 protected:
  // The read timeout bounds the handshake too; short, so that the silent
  // client's test ends soon (a handshake takes milliseconds).
  static constexpr int kReadTimeoutMs = 2000;

  Env ExtraEnv() override {
    first_ = certs_.Issue("payments first", 0x1001);
    // The service reads the files at these paths; a test replaces their
    // contents and sends SIGHUP.
    cert_file_ = certs_.Write("live.crt", ReadTextFile(first_.cert_file));
    key_file_ = certs_.Write("live.key", ReadTextFile(first_.key_file));
    return {{"PAYMENTS_TLS_CERT_FILE", cert_file_},
            {"PAYMENTS_TLS_KEY_FILE", key_file_},
            {"PAYMENTS_HTTP_READ_TIMEOUT", std::to_string(kReadTimeoutMs)}};
  }

  TlsClientOptions Verified() const { return {.ca_file = certs_.ca_file()}; }

  // Connects with these options; the handshake's outcome.
  bool Handshakes(TlsClientOptions options, std::string* cipher = nullptr) {
    TlsClient c(service_->public_port(), std::move(options));
    const bool ok = c.Connect();
    if (cipher != nullptr) *cipher = c.cipher();
    return ok;
  }

  void Install(const TestCertificate& cert) {
    certs_.Write("live.crt", ReadTextFile(cert.cert_file));
    certs_.Write("live.key", ReadTextFile(cert.key_file));
  }

  double Reloads(const std::string& result) {
    return Metric(service_->admin_port(), "payments_tls_reloads_total", {{"result", result}});
  }

  TestCertificates certs_;
  TestCertificate first_;
  std::string cert_file_;
  std::string key_file_;
};

TEST_F(TlsTest, APaymentOverTlsWorksEndToEnd) {
  TlsClient c(service_->public_port(), Verified());
  ASSERT_TRUE(c.Connect()) << c.error();
  EXPECT_EQ(c.peer_serial(), first_.serial);
  EXPECT_EQ(c.protocol(), "TLSv1.3");  // what a current client and the server agree on

  auto created = c.Post("/v1/payments", PaymentBody(1500), JsonHeaders(merchant_.key, "tls-1"));
  ASSERT_EQ(created.status, 200) << created.transport_error << created.body;
  const std::string id = created.Json()["id"].get<std::string>();
  EXPECT_EQ(created.Json()["status"], "captured");
  // The same connection again (keep-alive over TLS): the payment reads back.
  auto read = c.Get("/v1/payments/" + id, {{"Authorization", "Bearer " + merchant_.key}});
  ASSERT_EQ(read.status, 200) << read.transport_error << read.body;
  EXPECT_EQ(read.Json()["amount"], 1500);
  EXPECT_EQ(HandshakeFailures(service_->admin_port()), 0);
}

TEST_F(TlsTest, PlainHttpOnTheTlsPortGetsNoHttpAnswer) {
  RawConnection plain(service_->public_port());
  ASSERT_TRUE(plain.Send("GET /version HTTP/1.1\r\nHost: t\r\n\r\n"));
  std::string reply;
  ASSERT_TRUE(plain.ReadUntilClosed(10s, &reply)) << "the server kept the connection open";
  EXPECT_FALSE(reply.starts_with("HTTP/")) << reply;
  EXPECT_TRUE(Eventually([&] { return HandshakeFailures(service_->admin_port()) == 1; }, 10s));
  // The process goes on.
  TlsClient c(service_->public_port(), Verified());
  ASSERT_TRUE(c.Connect()) << c.error();
  EXPECT_EQ(c.Get("/version").status, 200);
}

TEST_F(TlsTest, Tls10And11AreRefused) {
  for (int version : {TLS1_VERSION, TLS1_1_VERSION}) {
    TlsClientOptions old = Verified();
    old.min_version = version;
    old.max_version = version;
    EXPECT_FALSE(Handshakes(old)) << std::hex << version;
  }
  EXPECT_TRUE(Eventually([&] { return HandshakeFailures(service_->admin_port()) == 2; }, 10s));
  // The same client allowed up to TLS 1.2 gets in.
  TlsClientOptions tls12 = Verified();
  tls12.min_version = TLS1_VERSION;
  tls12.max_version = TLS1_2_VERSION;
  EXPECT_TRUE(Handshakes(tls12));
}

TEST_F(TlsTest, Tls12OnlyWithEcdheAndAead) {
  // No forward secrecy (RSA key exchange, DHE is not offered either) or no
  // AEAD (CBC with HMAC): refused, though the certificate (RSA) allows them.
  for (const char* weak : {"AES128-SHA", "AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA",
                           "ECDHE-RSA-AES256-SHA384", "DHE-RSA-AES128-GCM-SHA256"}) {
    TlsClientOptions options = Verified();
    options.max_version = TLS1_2_VERSION;
    options.ciphers = weak;
    EXPECT_FALSE(Handshakes(options)) << weak;
  }
  // Refused by the server (each counted), not by a client that could not offer them.
  EXPECT_TRUE(Eventually([&] { return HandshakeFailures(service_->admin_port()) == 5; }, 10s));
  for (const char* strong : {"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                             "ECDHE-RSA-CHACHA20-POLY1305"}) {
    TlsClientOptions options = Verified();
    options.max_version = TLS1_2_VERSION;
    options.ciphers = strong;
    std::string cipher;
    EXPECT_TRUE(Handshakes(options, &cipher)) << strong;
    EXPECT_EQ(cipher, strong);
  }
}

TEST_F(TlsTest, Tls13IsAccepted) {
  TlsClientOptions options = Verified();
  options.min_version = TLS1_3_VERSION;
  TlsClient c(service_->public_port(), options);
  ASSERT_TRUE(c.Connect()) << c.error();
  EXPECT_EQ(c.protocol(), "TLSv1.3");
  EXPECT_EQ(c.Get("/version").status, 200);
}

TEST_F(TlsTest, SighupServesANewCertificateToNewConnectionsAndKeepsOpenOnes) {
  TlsClient before(service_->public_port(), Verified());
  ASSERT_TRUE(before.Connect()) << before.error();
  ASSERT_EQ(before.Get("/version").status, 200);

  const TestCertificate second = certs_.Issue("payments second", 0x2002);
  Install(second);
  service_->Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] { return Reloads("ok") == 1; }, 30s));
  EXPECT_EQ(service_->LogLines("TLS certificate reloaded").size(), 1u);

  TlsClient after(service_->public_port(), Verified());
  ASSERT_TRUE(after.Connect()) << after.error();
  EXPECT_EQ(after.peer_serial(), second.serial);
  EXPECT_NE(after.peer_subject().find("payments second"), std::string::npos)
      << after.peer_subject();
  EXPECT_EQ(after.Get("/version").status, 200);

  // The connection opened before the reload goes on, on the first certificate.
  EXPECT_EQ(before.peer_serial(), first_.serial);
  auto again = before.Get("/version");
  EXPECT_EQ(again.status, 200) << again.transport_error;
  EXPECT_FALSE(again.connection_closed);
  EXPECT_TRUE(service_->Running());
  EXPECT_EQ(Reloads("error"), 0);
}

TEST_F(TlsTest, ABrokenReloadKeepsTheCurrentCertificate) {
  certs_.Write("live.crt", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
  service_->Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] { return Reloads("error") == 1; }, 30s));
  EXPECT_TRUE(
      service_->WaitForLog("TLS reload failed; the previous certificate stays in use", 10s));

  // A key of another certificate is refused the same way.
  const TestCertificate other = certs_.Issue("payments other", 0x3003);
  Install(first_);
  certs_.Write("live.key", ReadTextFile(other.key_file));
  service_->Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] { return Reloads("error") == 2; }, 30s));

  EXPECT_TRUE(service_->Running());
  TlsClient c(service_->public_port(), Verified());
  ASSERT_TRUE(c.Connect()) << c.error();
  EXPECT_EQ(c.peer_serial(), first_.serial);
  EXPECT_EQ(c.Get("/version").status, 200);
  EXPECT_EQ(Reloads("ok"), 0);
}

TEST_F(TlsTest, ASilentClientIsClosedAtTheReadTimeout) {
  const auto start = std::chrono::steady_clock::now();
  RawConnection silent(service_->public_port());
  ASSERT_TRUE(silent.connected());
  ASSERT_TRUE(Eventually(
      [&] {
        return Metric(service_->admin_port(), "payments_http_open_connections",
                      {{"listener", "public"}}) == 1;
      },
      10s));
  EXPECT_TRUE(silent.ClosedWithin(30s)) << "the handshake never timed out";
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(kReadTimeoutMs));
  EXPECT_TRUE(Eventually([&] { return HandshakeFailures(service_->admin_port()) == 1; }, 10s));
  EXPECT_TRUE(Eventually(
      [&] {
        return Metric(service_->admin_port(), "payments_http_open_connections",
                      {{"listener", "public"}}) == 0;
      },
      10s));
}

class TlsOffTest : public ServiceTest {};

TEST_F(TlsOffTest, SighupIsLoggedAndIgnored) {
  service_->Signal(SIGHUP);
  ASSERT_TRUE(service_->WaitForLog("SIGHUP ignored", 30s));
  EXPECT_TRUE(service_->Running());
  EXPECT_EQ(client_->Get("/version").status, 200);
  service_->Signal(SIGTERM);
  EXPECT_EQ(service_->Wait(30s), 0);
}

TEST(TlsStartTest, ConfigurationErrorsStopServeWithOneLineAndCode2) {
  TestCertificates certs;
  const TestCertificate one = certs.Issue("one", 1);
  const TestCertificate two = certs.Issue("two", 2);
  const std::string garbage = certs.Write("garbage.pem", "not a certificate\n");
  const std::string encrypted = certs.WriteEncryptedKey(one);
  const Env base = {{"PAYMENTS_DATABASE_URL", "host=/nonexistent"},
                    {"PAYMENTS_FINGERPRINT_KEY", "tls-test-fingerprint-key-0123456789abcdef"}};
  struct Case {
    std::string cert, key, says;
  };
  for (const Case& c :
       {Case{one.cert_file, "", "PAYMENTS_TLS_KEY_FILE"},
        Case{"", one.key_file, "PAYMENTS_TLS_CERT_FILE"},
        Case{one.cert_file, two.key_file, "does not match"},
        Case{certs.dir() + "/missing.crt", one.key_file, "missing.crt: No such file or directory"},
        Case{garbage, one.key_file, "garbage.pem"},
        Case{one.cert_file, encrypted, "encrypted.key"}}) {
    Env env = base;
    if (!c.cert.empty()) env["PAYMENTS_TLS_CERT_FILE"] = c.cert;
    if (!c.key.empty()) env["PAYMENTS_TLS_KEY_FILE"] = c.key;
    auto r = RunPayments({"serve"}, env, 30s);
    EXPECT_EQ(r.exit_code, 2) << c.cert << " " << c.key << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace payments::testing
