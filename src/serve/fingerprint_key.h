// Where the card fingerprint key comes from. Outside the embedded default the
// key must live apart from the fingerprints: PAYMENTS_FINGERPRINT_KEY, or
// PAYMENTS_FINGERPRINT_KEY_FILE (a mounted secret), at least 32 characters;
// with neither, serve refuses to start. The embedded default, a local
// database, may generate one and keep it in the database. The key before a
// rotation (PAYMENTS_FINGERPRINT_KEY_PREVIOUS) follows the same rules.
// docs/security.md, "Fingerprint key". Reads files; thread-compatible.
#pragma once

#include <string>

#include "core/error.h"

namespace payments::serve {

struct FingerprintKeySources {
  std::string key{};       // the value itself
  std::string key_file{};  // or a file holding it (one trailing newline is dropped)
  std::string previous{};  // the key before a rotation, or empty
  bool embedded_default = false;
};

struct FingerprintKeys {
  std::string key{};       // empty: the embedded default generates one
  std::string previous{};  // empty: no rotation under way
};

inline constexpr size_t kMinFingerprintKeyLength = 32;

// The keys, or InvalidRequest naming what is wrong in one line.
payments::Result<FingerprintKeys> ResolveFingerprintKeys(const FingerprintKeySources& sources);

}  // namespace payments::serve
