// Hashing and randomness for keys, fingerprints and ids, on OpenSSL 3.
// Stateless functions; thread-safe (OpenSSL 3 initialises itself).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace payments {

// Lower-case hex SHA-256 of data.
std::string Sha256Hex(std::string_view data);

// Lower-case hex HMAC-SHA-256 of data under key.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// n bytes from a cryptographically secure generator (OpenSSL's, drawn a
// kilobyte at a time per thread; each byte is handed out once, and a forked
// child draws afresh). Aborts if the generator fails: no id or key may ever
// be made from weak randomness.
std::string RandomBytes(size_t n);

// n characters of [0-9A-Za-z] drawn uniformly from a secure generator.
std::string RandomBase62(size_t n);

// Constant-time comparison for secrets.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace payments
