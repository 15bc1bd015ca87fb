// The webhook endpoints use cases (docs/webhooks.md): create, read, list,
// update, delete, rotate the signing secret, list attempts, resend an event.
//
// An endpoint URL is checked on create and on update, and again at every
// delivery (DNS can change; service/webhook_dispatcher.h): it must be https
// (http only when the operator allows it), carry no credentials, and every
// address its host resolves to must be public or inside the operator's
// allow-list (http/address_policy.h). A host name is resolved on a thread of
// its own, with a deadline, so a handler on a fiber never blocks its loop;
// at most 16 such lookups run at once, 2 per merchant.
//
// A signing secret is shown once, in the answer to create and to
// rotate_secret, and stored only sealed (core/crypto.h, AES-256-GCM bound to
// the endpoint id) under a key the database does not hold.
//
// Thread-safe; the Pool must outlive it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/pool.h"
#include "http/address_policy.h"
#include "store/webhook_store.h"

namespace payments::service {

struct WebhookSettings {
  bool allow_http = false;               // PAYMENTS_WEBHOOK_ALLOW_HTTP
  std::vector<http::IpNetwork> allowed;  // PAYMENTS_WEBHOOK_ALLOWED_NETWORKS
  std::string secrets_key;               // 32 bytes (DeriveWebhookSecretsKey): seals
  std::string previous_secrets_key;      // during a key rotation: still opens, or empty
  std::chrono::seconds rotation_overlap{std::chrono::hours(24)};
  std::chrono::milliseconds resolve_timeout{5000};
  int max_endpoints_per_merchant = 16;
};

// The key that seals signing secrets: SHA-256 under HMAC of `source` (the
// operator's PAYMENTS_WEBHOOK_SECRETS_KEY, else the card fingerprint key,
// which already lives apart from the database) with a label of its own, so
// the two keys never coincide.
std::string DeriveWebhookSecretsKey(std::string_view source);

struct WebhookSecretsKeys {
  std::string key;       // seals; opens
  std::string previous;  // opens too, during a rotation; or empty
};
// From the settings: the secrets key and the one before it when set, else
// the fingerprint key and the one before it. `fingerprint_key` must be set.
WebhookSecretsKeys ResolveWebhookSecretsKeys(std::string_view secrets_key,
                                             std::string_view secrets_key_previous,
                                             std::string_view fingerprint_key,
                                             std::string_view fingerprint_key_previous);

// The secret sealed under `key`, or under `previous_key` when that is set;
// nullopt when neither opens it.
std::optional<std::string> OpenWebhookSecret(std::string_view key, std::string_view previous_key,
                                             std::string_view sealed, std::string_view endpoint_id);

// The last step of a key rotation (`payments webhooks reseal`, once every
// instance opens both): re-seals under `key` every endpoint secret that only
// `previous_key` opens. Returns how many endpoints were re-sealed.
payments::Result<int64_t> ResealWebhookSecrets(db::Pool& pool, std::string_view key,
                                               std::string_view previous_key);

struct CreateWebhookEndpointInput {
  std::string url;
  std::vector<std::string> enabled_events;  // known types or "*"
  std::string description;
  bool disabled = false;
  // With a key, a retried create returns the endpoint the first one made
  // (replayed, without its secret, which is never stored in clear); the
  // same key with another body is 422.
  std::optional<std::string> idempotency_key;
  std::string request_hash;  // of the canonical body
};

struct WebhookEndpoint {
  store::WebhookEndpointRow row;
  std::optional<std::string> secret;  // only from Create and RotateSecret
  bool replayed = false;              // Create with an Idempotency-Key used before
};

// Checks a URL for a webhook endpoint of the merchant against the settings;
// 400 url_invalid naming what is wrong. Resolves the host (see above; 503
// when the merchant's, or everyone's, lookups are all taken).
payments::Status CheckWebhookUrl(const std::string& url, const std::string& merchant_id,
                                 const WebhookSettings& settings);

class WebhookEndpoints {
 public:
  WebhookEndpoints(db::Pool& pool, WebhookSettings settings);
  WebhookEndpoints(const WebhookEndpoints&) = delete;
  WebhookEndpoints& operator=(const WebhookEndpoints&) = delete;

  payments::Result<WebhookEndpoint> Create(const std::string& merchant_id,
                                           const CreateWebhookEndpointInput& input);
  payments::Result<WebhookEndpoint> Get(const std::string& merchant_id, const std::string& id);
  // nullopt when starting_after names none of the merchant's endpoints.
  payments::Result<std::optional<store::WebhookEndpointPage>> List(
      const std::string& merchant_id, const std::optional<std::string>& starting_after, int limit);
  payments::Result<WebhookEndpoint> Update(const std::string& merchant_id, const std::string& id,
                                           const store::WebhookEndpointChanges& changes);
  payments::Status Delete(const std::string& merchant_id, const std::string& id);
  payments::Result<WebhookEndpoint> RotateSecret(const std::string& merchant_id,
                                                 const std::string& id);
  payments::Result<store::WebhookAttemptPage> Attempts(const std::string& merchant_id,
                                                       const std::string& id,
                                                       std::optional<int64_t> starting_after,
                                                       int limit);
  // How many deliveries were made; 404 for an unknown event or endpoint.
  payments::Result<int64_t> Resend(const std::string& merchant_id, const std::string& event_id,
                                   const std::optional<std::string>& endpoint_id);

  const WebhookSettings& settings() const { return settings_; }

 private:
  db::Pool& pool_;
  const WebhookSettings settings_;
};

// Resend for the CLI: any merchant's event (the merchant is looked up).
payments::Result<int64_t> ResendEventAsOperator(db::Pool& pool, const std::string& event_id,
                                                const std::optional<std::string>& endpoint_id);

}  // namespace payments::service
