#include "events/webhook_signature.h"

#include <fmt/format.h>

#include <cassert>
#include <optional>

#include "core/crypto.h"

namespace payments::events {
namespace {

std::optional<std::string> SecretKey(std::string_view secret) {
  if (!secret.starts_with(kWebhookSecretPrefix)) return std::nullopt;
  auto key = Base64Decode(secret.substr(kWebhookSecretPrefix.size()));
  if (!key || key->size() < 24 || key->size() > 64) return std::nullopt;
  return key;
}

}  // namespace

std::string MakeWebhookSecret() {
  return std::string(kWebhookSecretPrefix) + Base64Encode(RandomBytes(32));
}

bool IsWebhookSecret(std::string_view secret) { return SecretKey(secret).has_value(); }

std::string SignWebhook(std::string_view id, int64_t timestamp, std::string_view body,
                        const std::vector<std::string>& secrets) {
  const std::string content = fmt::format("{}.{}.{}", id, timestamp, body);
  std::string header;
  for (const std::string& secret : secrets) {
    auto key = SecretKey(secret);
    assert(key && "SignWebhook: not a whsec_ secret");
    if (!key) continue;
    if (!header.empty()) header += ' ';
    header += "v1,";
    header += Base64Encode(HmacSha256(*key, content));
  }
  return header;
}

}  // namespace payments::events
