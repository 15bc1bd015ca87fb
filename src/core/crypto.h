// Hashing and randomness for keys, fingerprints and ids, on OpenSSL 3.
// Stateless functions; thread-safe (OpenSSL 3 initialises itself).
#pragma once

#include <cstddef>
#include <optional>
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

// Raw (32-byte) HMAC-SHA-256 of data under key.
std::string HmacSha256(std::string_view key, std::string_view data);

// Standard base64 (RFC 4648 section 4, with padding).
std::string Base64Encode(std::string_view bytes);
// nullopt unless `text` is canonical padded base64 with no whitespace.
std::optional<std::string> Base64Decode(std::string_view text);

// AES-256-GCM with a random 96-bit nonce, for secrets kept at rest that the
// service must read back (webhook signing secrets). `key` is 32 bytes; `aad`
// binds the sealed value to what it belongs to (an endpoint id), so a sealed
// value copied onto another row does not open. The result is
// "v1:" + base64(nonce || ciphertext || tag).
std::string SealAes256Gcm(std::string_view key, std::string_view plaintext, std::string_view aad);
// nullopt when the value was not sealed under this key and aad, or was altered.
std::optional<std::string> OpenAes256Gcm(std::string_view key, std::string_view sealed,
                                         std::string_view aad);

// Constant-time comparison for secrets.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace payments
