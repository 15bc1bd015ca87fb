#include "core/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace payments {
namespace {

std::string ToHex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '\0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

}  // namespace

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest,
           &len) == nullptr) {
    std::fputs("fatal: HMAC failed\n", stderr);
    std::abort();
  }
  return std::string(reinterpret_cast<const char*>(digest), len);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    std::fputs("fatal: EVP_Digest failed\n", stderr);
    std::abort();
  }
  return ToHex(digest, len);
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  const std::string digest = HmacSha256(key, data);
  return ToHex(reinterpret_cast<const unsigned char*>(digest.data()), digest.size());
}

namespace {

void FillRandom(unsigned char* out, size_t n) {
  if (n > 0 && RAND_bytes(out, static_cast<int>(n)) != 1) {
    std::fputs("fatal: RAND_bytes failed\n", stderr);
    std::abort();
  }
}

// Bumped in a forked child, whose copy of a thread's buffer must not hand
// out the bytes its parent hands out too.
std::atomic<uint64_t> fork_generation{0};

// Bytes drawn from OpenSSL's generator a kilobyte at a time per thread and
// handed out in order, each byte once: one RAND_bytes call (its locks, its
// fork check) per ~60 ids instead of per id.
class RandomBuffer {
 public:
  void Take(unsigned char* out, size_t n) {
    if (n > sizeof(bytes_) / 2) {
      FillRandom(out, n);
      return;
    }
    const uint64_t generation = fork_generation.load(std::memory_order_relaxed);
    if (generation != generation_ || n > sizeof(bytes_) - used_) {
      FillRandom(bytes_, sizeof(bytes_));
      used_ = 0;
      generation_ = generation;
    }
    std::memcpy(out, bytes_ + used_, n);
    OPENSSL_cleanse(bytes_ + used_, n);  // handed out once; not left behind
    used_ += n;
  }

 private:
  unsigned char bytes_[1024];
  size_t used_ = sizeof(bytes_);
  uint64_t generation_ = 0;
};

}  // namespace

std::string RandomBytes(size_t n) {
  static const bool at_fork = [] {
    pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1); });
    return true;
  }();
  (void)at_fork;
  thread_local RandomBuffer buffer;
  std::string out(n, '\0');
  buffer.Take(reinterpret_cast<unsigned char*>(out.data()), n);
  return out;
}

std::string RandomBase62(size_t n) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    const std::string bytes = RandomBytes(n * 2);
    for (unsigned char b : bytes) {
      // 248 = 4 * 62: rejecting larger bytes keeps the draw uniform.
      if (b >= 248) continue;
      out.push_back(kAlphabet[b % 62]);
      if (out.size() == n) break;
    }
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0 || text.size() > (1u << 30)) return std::nullopt;
  // EVP_DecodeBlock skips leading and trailing whitespace and accepts
  // non-canonical padding bits: refuse what it would be lenient about.
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    const bool pad =
        c == '=' && i + 2 >= text.size() && (i + 1 == text.size() || text[i + 1] == '=');
    if (!alnum && c != '+' && c != '/' && !pad) return std::nullopt;
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  out.resize(static_cast<size_t>(n) - padding);
  if (Base64Encode(out) != text) return std::nullopt;  // canonical only
  return out;
}

namespace {

constexpr size_t kGcmNonce = 12;
constexpr size_t kGcmTag = 16;
constexpr std::string_view kSealedPrefix = "v1:";

struct CipherContext {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ~CipherContext() { EVP_CIPHER_CTX_free(ctx); }
};

}  // namespace

std::string SealAes256Gcm(std::string_view key, std::string_view plaintext, std::string_view aad) {
  if (key.size() != 32) {
    std::fputs("fatal: SealAes256Gcm needs a 32-byte key\n", stderr);
    std::abort();
  }
  const std::string nonce = RandomBytes(kGcmNonce);
  std::string out = nonce;
  out.resize(kGcmNonce + plaintext.size() + kGcmTag);
  auto* cipher = reinterpret_cast<unsigned char*>(out.data()) + kGcmNonce;
  CipherContext c;
  int len = 0;
  int total = 0;
  const bool ok =
      c.ctx != nullptr &&
      EVP_EncryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()),
                         reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
      EVP_EncryptUpdate(c.ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(c.ctx, cipher, &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) == 1 &&
      (total = len, EVP_EncryptFinal_ex(c.ctx, cipher + total, &len) == 1) &&
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_GET_TAG, kGcmTag, cipher + plaintext.size()) == 1;
  if (!ok) {
    std::fputs("fatal: AES-256-GCM encryption failed\n", stderr);
    std::abort();
  }
  return std::string(kSealedPrefix) + Base64Encode(out);
}

std::optional<std::string> OpenAes256Gcm(std::string_view key, std::string_view sealed,
                                         std::string_view aad) {
  if (key.size() != 32 || !sealed.starts_with(kSealedPrefix)) return std::nullopt;
  auto raw = Base64Decode(sealed.substr(kSealedPrefix.size()));
  if (!raw || raw->size() < kGcmNonce + kGcmTag) return std::nullopt;
  const size_t n = raw->size() - kGcmNonce - kGcmTag;
  auto* bytes = reinterpret_cast<unsigned char*>(raw->data());
  std::string plain(n, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  CipherContext c;
  int len = 0;
  const bool ok =
      c.ctx != nullptr &&
      EVP_DecryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()), bytes) == 1 &&
      EVP_DecryptUpdate(c.ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(c.ctx, out, &len, bytes + kGcmNonce, static_cast<int>(n)) == 1 &&
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, kGcmTag, bytes + kGcmNonce + n) == 1 &&
      EVP_DecryptFinal_ex(c.ctx, out + len, &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return std::nullopt;
  }
  return plain;
}

}  // namespace payments
