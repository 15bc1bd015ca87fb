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
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest,
           &len) == nullptr) {
    std::fputs("fatal: HMAC failed\n", stderr);
    std::abort();
  }
  return ToHex(digest, len);
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

}  // namespace payments
