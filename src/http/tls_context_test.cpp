#include "http/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "support/test_certificates.h"

namespace payments::http {
namespace {

using testing::ReadTextFile;
using testing::TestCertificate;
using testing::TestCertificates;

TEST(TlsContextTest, LoadsACertificateAndItsKeyWithThePolicy) {
  TestCertificates certs;
  const TestCertificate cert = certs.Issue("unit", 0x42);
  auto context = MakeServerTlsContext({.cert_file = cert.cert_file, .key_file = cert.key_file});
  ASSERT_TRUE(context.has_value()) << context.error().message;
  SSL_CTX* ctx = (*context)->native_handle();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(ctx), 0);  // up to TLS 1.3
  const uint64_t options = SSL_CTX_get_options(ctx);
  for (uint64_t option : {static_cast<uint64_t>(SSL_OP_NO_COMPRESSION),
                          static_cast<uint64_t>(SSL_OP_NO_RENEGOTIATION),
                          static_cast<uint64_t>(SSL_OP_CIPHER_SERVER_PREFERENCE)}) {
    EXPECT_NE(options & option, 0u) << std::hex << option;
  }
  // Every suite it would negotiate has forward secrecy and AEAD.
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx), SSL_free);
  STACK_OF(SSL_CIPHER)* ciphers = SSL_get1_supported_ciphers(ssl.get());
  ASSERT_NE(ciphers, nullptr);
  ASSERT_GT(sk_SSL_CIPHER_num(ciphers), 0);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
    const int kx = SSL_CIPHER_get_kx_nid(c);
    EXPECT_TRUE(kx == NID_kx_ecdhe || kx == NID_kx_any) << SSL_CIPHER_get_name(c);
    EXPECT_EQ(SSL_CIPHER_is_aead(c), 1) << SSL_CIPHER_get_name(c);
  }
  sk_SSL_CIPHER_free(ciphers);

  const TlsCertificateInfo info = DescribeCertificate(**context);
  EXPECT_EQ(info.serial, "42");
  EXPECT_NE(info.subject.find("CN=unit"), std::string::npos) << info.subject;
  EXPECT_FALSE(info.not_after.empty());
}

TEST(TlsContextTest, RefusesWhatItCannotServeInOneLineNamingTheFile) {
  TestCertificates certs;
  const TestCertificate one = certs.Issue("one", 1);
  const TestCertificate two = certs.Issue("two", 2);
  const std::string garbage = certs.Write("garbage.pem", "not PEM\n");
  const std::string encrypted = certs.WriteEncryptedKey(one);
  struct Case {
    TlsFiles files;
    std::string says;
  };
  for (const Case& c :
       {Case{{one.cert_file, two.key_file}, "does not match"},
        Case{{certs.dir() + "/none.crt", one.key_file}, "none.crt"},
        Case{{one.cert_file, certs.dir() + "/none.key"}, "none.key"},
        Case{{garbage, one.key_file}, "garbage.pem"}, Case{{one.cert_file, garbage}, "garbage.pem"},
        Case{{one.key_file, one.key_file}, "certificate chain"},
        Case{{one.cert_file, encrypted}, "encrypted.key"}}) {
    auto context = MakeServerTlsContext(c.files);
    ASSERT_FALSE(context.has_value()) << c.files.cert_file << " " << c.files.key_file;
    EXPECT_NE(context.error().message.find(c.says), std::string::npos) << context.error().message;
    EXPECT_EQ(context.error().message.find('\n'), std::string::npos) << context.error().message;
  }
}

TEST(TlsContextTest, AReloadReplacesTheContextForNewUsersAndAFailedOneKeepsIt) {
  TestCertificates certs;
  const TestCertificate one = certs.Issue("one", 1);
  const TestCertificate two = certs.Issue("two", 2);
  const std::string cert_file = certs.Write("live.crt", ReadTextFile(one.cert_file));
  const std::string key_file = certs.Write("live.key", ReadTextFile(one.key_file));
  auto tls = ServerTls::Load({.cert_file = cert_file, .key_file = key_file});
  ASSERT_TRUE(tls.has_value()) << tls.error().message;
  const auto held = (*tls)->Current();  // as an open connection holds it
  EXPECT_EQ((*tls)->info().serial, "01");

  certs.Write("live.crt", "garbage\n");
  EXPECT_FALSE((*tls)->Reload().has_value());
  EXPECT_EQ((*tls)->Current(), held);
  EXPECT_EQ((*tls)->reloads_failed(), 1);
  EXPECT_EQ((*tls)->reloads_ok(), 0);

  certs.Write("live.crt", ReadTextFile(two.cert_file));
  certs.Write("live.key", ReadTextFile(two.key_file));
  auto reloaded = (*tls)->Reload();
  ASSERT_TRUE(reloaded.has_value()) << reloaded.error().message;
  EXPECT_EQ(reloaded->serial, "02");
  EXPECT_NE((*tls)->Current(), held);
  EXPECT_EQ((*tls)->info().serial, "02");
  EXPECT_EQ((*tls)->reloads_ok(), 1);
  // The context held before is whole and still the first certificate.
  EXPECT_EQ(DescribeCertificate(*held).serial, "01");
}

}  // namespace
}  // namespace payments::http
