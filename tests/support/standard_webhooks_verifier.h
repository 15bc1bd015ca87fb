// A receiver's check of a Standard Webhooks signature (standardwebhooks.com),
// written from the specification's text and OpenSSL alone, independently of
// the service's own signing code (nothing from src/), so that a test that
// verifies what the service sent proves the format, not one implementation
// agreeing with itself.
//
//   std::string why = VerifyStandardWebhook(secret, received.headers, received.body);
//   EXPECT_EQ(why, "");
//
// The secret is "whsec_" and the base64 of the key bytes (the prefix is
// required here). The signed content is "{webhook-id}.{webhook-timestamp}.{body}",
// HMAC-SHA256 under the key; webhook-signature is a space-delimited list of
// "v1,<base64 signature>" entries (other versions ignored, entries that do not
// parse never match) and any matching v1 entry passes; webhook-timestamp is
// integer Unix seconds within the tolerance of now, either way (the bound
// itself passes). Stateless; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace payments::testing {

// Empty string on success, else why it failed: "invalid secret", "missing
// webhook-id", "missing webhook-timestamp", "missing webhook-signature",
// "invalid webhook-timestamp", "timestamp too old", "timestamp too new",
// "no matching signature" (with how many v1 entries did not parse, if any).
// A header present with an empty value counts as missing.
std::string VerifyStandardWebhook(
    std::string_view secret, const std::map<std::string, std::string>& lowercase_headers,
    std::string_view body,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now(),
    std::chrono::seconds tolerance = std::chrono::minutes(5));

// Signs like a sender would (for the verifier's own test only): "v1,<base64>".
// Empty when the secret is not "whsec_<base64>".
std::string SignStandardWebhook(std::string_view secret, std::string_view id, int64_t timestamp,
                                std::string_view body);

}  // namespace payments::testing
