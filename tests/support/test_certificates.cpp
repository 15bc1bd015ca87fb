#include "support/test_certificates.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace payments::testing {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string KeyPem(EVP_PKEY* key, const EVP_CIPHER* cipher = nullptr, const char* password = "") {
  Bio bio(BIO_new(BIO_s_mem()));
  const std::string pass = password;
  PEM_write_bio_PrivateKey(bio.get(), key, cipher,
                           reinterpret_cast<const unsigned char*>(pass.data()),
                           static_cast<int>(pass.size()), nullptr, nullptr);
  return BioText(bio.get());
}

std::string CertPem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return BioText(bio.get());
}

Key ReadKey(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

Cert ReadCert(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr) << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key` named `common_name`, valid from an hour ago for 30
// days; self-signed when issuer is null.
Cert MakeCert(EVP_PKEY* key, const std::string& common_name, uint64_t serial, X509* issuer,
              EVP_PKEY* issuer_key, bool ca) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("payments tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (ca) {
    AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid");
    AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    AddExtension(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    AddExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    AddExtension(cert.get(), signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  }
  X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256());
  return cert;
}

}  // namespace

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TestCertificates::TestCertificates() {
  std::string pattern = (std::filesystem::temp_directory_path() / "payments-tls-XXXXXX").string();
  if (mkdtemp(pattern.data()) != nullptr) dir_ = pattern;
  EXPECT_FALSE(dir_.empty()) << "mkdtemp failed";
  Key key(EVP_EC_gen("P-256"));
  Cert ca = MakeCert(key.get(), "payments test CA", 1, nullptr, nullptr, true);
  ca_cert_pem_ = CertPem(ca.get());
  ca_key_pem_ = KeyPem(key.get());
  ca_file_ = Write("ca.pem", ca_cert_pem_);
}

TestCertificates::~TestCertificates() {
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

TestCertificate TestCertificates::Issue(const std::string& common_name, uint64_t serial) {
  Key ca_key = ReadKey(ca_key_pem_);
  Cert ca = ReadCert(ca_cert_pem_);
  Key key(EVP_RSA_gen(2048));
  Cert cert = MakeCert(key.get(), common_name, serial, ca.get(), ca_key.get(), false);
  const std::string stem = "server-" + std::to_string(serial);
  std::ostringstream hex;
  hex << std::uppercase << std::hex << serial;
  std::string serial_hex = hex.str();
  if (serial_hex.size() % 2 == 1) serial_hex = "0" + serial_hex;  // as BN_bn2hex prints it
  return TestCertificate{.cert_file = Write(stem + ".crt", CertPem(cert.get())),
                         .key_file = Write(stem + ".key", KeyPem(key.get())),
                         .serial = serial_hex};
}

std::string TestCertificates::Write(const std::string& name, const std::string& text) const {
  const std::string path = dir_ + "/" + name;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
  }
  std::filesystem::rename(tmp, path);  // a reader sees the old file or the new, whole
  return path;
}

std::string TestCertificates::WriteEncryptedKey(const TestCertificate& cert) const {
  Key key = ReadKey(ReadTextFile(cert.key_file));
  return Write("encrypted.key", KeyPem(key.get(), EVP_aes_256_cbc(), "a password"));
}

}  // namespace payments::testing
