#include "serve/fingerprint_key.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace payments::serve {
namespace {

payments::Error Invalid(std::string message) {
  return payments::Error::InvalidRequest("fingerprint_key", std::move(message));
}

payments::Result<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(Invalid(fmt::format("cannot read PAYMENTS_FINGERPRINT_KEY_FILE {}: {}",
                                               path, std::strerror(errno))));
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string key = text.str();
  if (key.ends_with("\r\n")) {
    key.resize(key.size() - 2);
  } else if (key.ends_with('\n')) {
    key.pop_back();
  }
  return key;
}

payments::Status CheckKey(const std::string& key, std::string_view name) {
  if (key.size() < kMinFingerprintKeyLength) {
    return std::unexpected(Invalid(fmt::format("{} must be at least {} characters (it has {})",
                                               name, kMinFingerprintKeyLength, key.size())));
  }
  if (key.find_first_of(std::string_view("\0\n\r", 3)) != std::string::npos) {
    return std::unexpected(Invalid(fmt::format("{} holds a NUL or a line break", name)));
  }
  return {};
}

}  // namespace

payments::Result<FingerprintKeys> ResolveFingerprintKeys(const FingerprintKeySources& sources) {
  if (!sources.key.empty() && !sources.key_file.empty()) {
    return std::unexpected(
        Invalid("set PAYMENTS_FINGERPRINT_KEY or PAYMENTS_FINGERPRINT_KEY_FILE, not both"));
  }
  FingerprintKeys keys{.key = sources.key, .previous = sources.previous};
  std::string_view name = "PAYMENTS_FINGERPRINT_KEY";
  if (!sources.key_file.empty()) {
    auto read = ReadKeyFile(sources.key_file);
    if (!read) return std::unexpected(read.error());
    keys.key = *read;
    name = "the key in PAYMENTS_FINGERPRINT_KEY_FILE";
  }
  if (keys.key.empty()) {
    if (sources.embedded_default && keys.previous.empty()) return keys;
    if (sources.embedded_default) {
      return std::unexpected(
          Invalid("PAYMENTS_FINGERPRINT_KEY_PREVIOUS needs PAYMENTS_FINGERPRINT_KEY"));
    }
    return std::unexpected(
        Invalid("PAYMENTS_FINGERPRINT_KEY (or PAYMENTS_FINGERPRINT_KEY_FILE) must be set with "
                "PAYMENTS_DATABASE_URL: the key of card fingerprints must not live in the database "
                "beside them (docs/security.md)"));
  }
  if (auto ok = CheckKey(keys.key, name); !ok) return std::unexpected(ok.error());
  if (!keys.previous.empty()) {
    if (auto ok = CheckKey(keys.previous, "PAYMENTS_FINGERPRINT_KEY_PREVIOUS"); !ok) {
      return std::unexpected(ok.error());
    }
    if (keys.previous == keys.key) {
      return std::unexpected(
          Invalid("PAYMENTS_FINGERPRINT_KEY_PREVIOUS is the same as the current key"));
    }
  }
  return keys;
}

}  // namespace payments::serve
