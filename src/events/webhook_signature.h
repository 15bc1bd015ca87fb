// Signing webhook deliveries as the Standard Webhooks specification says
// (standardwebhooks.com): a secret is "whsec_" + base64 of 32 random bytes;
// the signed content is "<webhook-id>.<webhook-timestamp>.<body>"; the
// `webhook-signature` header is a space-separated list of "v1,<base64
// HMAC-SHA256>", one per secret in force (two during a rotation). The
// receiver's side of it is in docs/webhooks.md. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace payments::events {

inline constexpr std::string_view kWebhookSecretPrefix = "whsec_";

// A new signing secret from a secure generator.
std::string MakeWebhookSecret();

// True for "whsec_" + canonical base64 of 24 to 64 bytes.
bool IsWebhookSecret(std::string_view secret);

// "v1,<sig>" for each secret, space-separated, in the order given. Every
// secret must pass IsWebhookSecret (asserted).
std::string SignWebhook(std::string_view id, int64_t timestamp, std::string_view body,
                        const std::vector<std::string>& secrets);

}  // namespace payments::events
