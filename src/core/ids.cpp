#include "core/ids.h"

#include <cstdint>

#include "core/crypto.h"

namespace payments {
namespace {

constexpr char kCrockford[] = "0123456789abcdefghjkmnpqrstvwxyz";
constexpr size_t kBodyLength = 26;

bool IsCrockford(char c) {
  for (const char* p = kCrockford; *p != '\0'; ++p) {
    if (*p == c) return true;
  }
  return false;
}

}  // namespace

std::string NewId(std::string_view prefix, std::chrono::system_clock::time_point now) {
  const uint64_t ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  std::string id;
  id.reserve(prefix.size() + 1 + kBodyLength);
  id.append(prefix);
  id.push_back('_');
  // 48 bits of time in 10 characters of 5 bits (the top 2 bits are zero).
  for (int i = 9; i >= 0; --i) id.push_back(kCrockford[(ms >> (5 * i)) & 31]);
  const std::string random = RandomBytes(10);  // 80 bits = 16 characters
  uint64_t acc = 0;
  int bits = 0;
  for (unsigned char b : random) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      id.push_back(kCrockford[(acc >> bits) & 31]);
    }
  }
  return id;
}

bool IsWellFormedId(std::string_view id, std::string_view prefix) {
  if (id.size() != prefix.size() + 1 + kBodyLength) return false;
  if (id.substr(0, prefix.size()) != prefix || id[prefix.size()] != '_') return false;
  for (char c : id.substr(prefix.size() + 1)) {
    if (!IsCrockford(c)) return false;
  }
  return true;
}

}  // namespace payments
