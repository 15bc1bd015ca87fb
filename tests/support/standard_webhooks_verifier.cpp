#include "support/standard_webhooks_verifier.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <charconv>
#include <optional>
#include <vector>

namespace payments::testing {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";
constexpr std::string_view kVersion = "v1";
constexpr size_t kSha256Size = 32;

using Bytes = std::vector<unsigned char>;

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// Standard base64 with padding, nothing else (no whitespace, no URL-safe
// alphabet): EVP_DecodeBlock alone would skip surrounding blanks and count
// the padding as zero bytes.
std::optional<Bytes> DecodeBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    if (!IsBase64Char(text[i])) return std::nullopt;
  }
  Bytes out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - padding);
  return out;
}

std::string EncodeBase64(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');  // EVP_EncodeBlock writes a NUL
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

std::optional<Bytes> KeyOf(std::string_view secret) {
  if (!secret.starts_with(kSecretPrefix)) return std::nullopt;
  return DecodeBase64(secret.substr(kSecretPrefix.size()));
}

// HMAC-SHA256 of "{id}.{timestamp}.{body}" under key.
std::optional<Bytes> Mac(const Bytes& key, std::string_view id, std::string_view timestamp,
                         std::string_view body) {
  std::string content;
  content.reserve(id.size() + timestamp.size() + body.size() + 2);
  content.append(id).append(".").append(timestamp).append(".").append(body);
  Bytes out(EVP_MAX_MD_SIZE);
  size_t size = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(content.data()), content.size(), out.data(),
                out.size(), &size) == nullptr ||
      size != kSha256Size) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

std::string_view Header(const std::map<std::string, std::string>& headers,
                        const std::string& name) {
  auto it = headers.find(name);
  return it == headers.end() ? std::string_view() : std::string_view(it->second);
}

// Integer Unix seconds: ASCII digits only (no sign, blanks, fraction or exponent).
std::optional<int64_t> ParseTimestamp(std::string_view text) {
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string VerifyStandardWebhook(std::string_view secret,
                                  const std::map<std::string, std::string>& lowercase_headers,
                                  std::string_view body, std::chrono::system_clock::time_point now,
                                  std::chrono::seconds tolerance) {
  const std::optional<Bytes> key = KeyOf(secret);
  if (!key || key->empty()) return "invalid secret";
  const std::string_view id = Header(lowercase_headers, "webhook-id");
  const std::string_view timestamp = Header(lowercase_headers, "webhook-timestamp");
  const std::string_view signatures = Header(lowercase_headers, "webhook-signature");
  if (id.empty()) return "missing webhook-id";
  if (timestamp.empty()) return "missing webhook-timestamp";
  if (signatures.empty()) return "missing webhook-signature";

  const std::optional<int64_t> sent = ParseTimestamp(timestamp);
  if (!sent) return "invalid webhook-timestamp";
  // In whole seconds, so that no timestamp overflows a clock's duration:
  // now - sent > tolerance  <=>  whole > tol || (whole == tol && fraction > 0).
  const auto since_epoch = now.time_since_epoch();
  const auto whole = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const bool fraction = since_epoch != whole;
  const int64_t age = whole.count() - *sent;
  const int64_t tol = tolerance.count();
  if (age > tol || (age == tol && fraction)) return "timestamp too old";
  if (-age > tol) return "timestamp too new";

  const std::optional<Bytes> expected = Mac(*key, id, timestamp, body);
  if (!expected) return "cannot compute HMAC-SHA256";

  int malformed = 0;
  bool matched = false;
  size_t start = 0;
  while (start <= signatures.size()) {
    size_t end = signatures.find(' ', start);
    if (end == std::string_view::npos) end = signatures.size();
    const std::string_view entry = signatures.substr(start, end - start);
    start = end + 1;
    if (entry.empty()) continue;
    const size_t comma = entry.find(',');
    if (comma == std::string_view::npos) {
      ++malformed;
      continue;
    }
    if (entry.substr(0, comma) != kVersion) continue;  // another scheme: not ours to check
    const std::optional<Bytes> signature = DecodeBase64(entry.substr(comma + 1));
    if (!signature || signature->size() != expected->size()) {
      ++malformed;
      continue;
    }
    // Every entry is compared, the match or not, in constant time each.
    if (CRYPTO_memcmp(signature->data(), expected->data(), expected->size()) == 0) matched = true;
  }
  if (matched) return "";
  if (malformed > 0) {
    return "no matching signature (" + std::to_string(malformed) + " malformed entr" +
           (malformed == 1 ? "y)" : "ies)");
  }
  return "no matching signature";
}

std::string SignStandardWebhook(std::string_view secret, std::string_view id, int64_t timestamp,
                                std::string_view body) {
  const std::optional<Bytes> key = KeyOf(secret);
  if (!key || key->empty()) return "";
  const std::optional<Bytes> mac = Mac(*key, id, std::to_string(timestamp), body);
  if (!mac) return "";
  return std::string(kVersion) + "," + EncodeBase64(mac->data(), mac->size());
}

}  // namespace payments::testing
