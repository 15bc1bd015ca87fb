#include "service/webhook_endpoints.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>

#include <memory>
#include <mutex>
#include <thread>

#include "core/crypto.h"
#include "core/ids.h"
#include "db/batch.h"
#include "db/transaction.h"
#include "events/webhook_signature.h"
#include "fibers/fiber.h"
#include "http/webhook_url.h"
#include "service/resolution_slots.h"

namespace payments::service {
namespace {

Error UrlInvalid(std::string message) {
  return Error::InvalidRequest("url_invalid", std::move(message), "url");
}

// Lookups under way: 16 in all, 2 per merchant (service/resolution_slots.h).
ResolutionSlots& Slots() {
  static ResolutionSlots slots(16, 2);
  return slots;
}

struct Resolution {
  std::mutex mu;
  fibers::CondVar done_cv;
  bool done = false;
  int gai_error = 0;
  std::vector<http::IpAddress> addresses;
};

// getaddrinfo on a thread of its own; the caller (a fiber or a thread)
// waits up to `timeout`. A resolution that outlives the wait finishes into
// state nobody reads any more.
payments::Result<std::vector<http::IpAddress>> ResolveOffLoop(const std::string& host,
                                                              const std::string& merchant_id,
                                                              std::chrono::milliseconds timeout) {
  if (!Slots().TryTake(merchant_id)) {
    return std::unexpected(
        Error::Unavailable("Too many webhook URLs are being checked at once; retry shortly."));
  }
  auto state = std::make_shared<Resolution>();
  try {
    std::thread([state, host, merchant_id] {
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* list = nullptr;
      const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list);
      std::vector<http::IpAddress> found;
      for (addrinfo* a = list; rc == 0 && a != nullptr; a = a->ai_next) {
        char text[INET6_ADDRSTRLEN] = {};
        const void* raw =
            a->ai_family == AF_INET
                ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
                : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
        if (::inet_ntop(a->ai_family, raw, text, sizeof(text)) == nullptr) continue;
        if (auto ip = http::ParseIpAddress(text)) found.push_back(*ip);
      }
      if (list != nullptr) ::freeaddrinfo(list);
      Slots().Give(merchant_id);
      std::lock_guard lock(state->mu);
      state->gai_error = rc;
      state->addresses = std::move(found);
      state->done = true;
      state->done_cv.NotifyAll();
    }).detach();
  } catch (const std::system_error&) {
    Slots().Give(merchant_id);
    return std::unexpected(Error::Unavailable("Could not check the webhook URL; retry shortly."));
  }
  std::unique_lock lock(state->mu);
  const auto deadline = fibers::Clock::now() + timeout;
  while (!state->done) {
    if (!state->done_cv.WaitUntil(lock, deadline) && !state->done) {
      return std::unexpected(UrlInvalid("url's host did not resolve in time."));
    }
  }
  if (state->gai_error != 0 || state->addresses.empty()) {
    return std::unexpected(UrlInvalid("url's host does not resolve."));
  }
  return state->addresses;
}

Error NoSuchEndpoint(const std::string& id) {
  return Error::NotFound(fmt::format("No such webhook endpoint: '{}'", id), "id");
}

}  // namespace

std::string DeriveWebhookSecretsKey(std::string_view source) {
  return HmacSha256(source, "payments/webhook-signing-secrets/v1");
}

WebhookSecretsKeys ResolveWebhookSecretsKeys(std::string_view secrets_key,
                                             std::string_view secrets_key_previous,
                                             std::string_view fingerprint_key,
                                             std::string_view fingerprint_key_previous) {
  const bool own = !secrets_key.empty();
  const std::string_view previous = own ? secrets_key_previous : fingerprint_key_previous;
  return {.key = DeriveWebhookSecretsKey(own ? secrets_key : fingerprint_key),
          .previous = previous.empty() ? "" : DeriveWebhookSecretsKey(previous)};
}

std::optional<std::string> OpenWebhookSecret(std::string_view key, std::string_view previous_key,
                                             std::string_view sealed,
                                             std::string_view endpoint_id) {
  if (auto s = OpenAes256Gcm(key, sealed, endpoint_id)) return s;
  if (previous_key.empty()) return std::nullopt;
  return OpenAes256Gcm(previous_key, sealed, endpoint_id);
}

payments::Result<int64_t> ResealWebhookSecrets(db::Pool& pool, std::string_view key,
                                               std::string_view previous_key) {
  int64_t resealed = 0;
  std::string after;
  while (true) {
    auto batch =
        db::Read(pool, [&](db::Connection& c) { return store::ListSealedSecrets(c, after, 200); });
    if (!batch) return std::unexpected(batch.error());
    for (const auto& before : *batch) {
      after = before.endpoint_id;
      auto reseal = [&](const std::string& sealed) -> std::optional<std::string> {
        if (OpenAes256Gcm(key, sealed, before.endpoint_id)) return sealed;  // current already
        auto plain = OpenAes256Gcm(previous_key, sealed, before.endpoint_id);
        if (!plain) return std::nullopt;  // neither key: leave it, deliveries report it
        return SealAes256Gcm(key, *plain, before.endpoint_id);
      };
      auto reseal_optional = [&](const std::optional<std::string>& sealed) {
        return sealed ? std::optional<std::string>(reseal(*sealed).value_or(*sealed)) : sealed;
      };
      const store::SealedSecrets now{
          .endpoint_id = before.endpoint_id,
          .secret_sealed = reseal(before.secret_sealed).value_or(before.secret_sealed),
          .previous_secret_sealed = reseal_optional(before.previous_secret_sealed),
          .older_secret_sealed = reseal_optional(before.older_secret_sealed)};
      if (now.secret_sealed == before.secret_sealed &&
          now.previous_secret_sealed == before.previous_secret_sealed &&
          now.older_secret_sealed == before.older_secret_sealed) {
        continue;
      }
      auto done =
          db::Read(pool, [&](db::Connection& c) { return store::ResealSecrets(c, before, now); });
      if (!done) return std::unexpected(done.error());
      if (*done) ++resealed;
    }
    if (batch->size() < 200) return resealed;
  }
}

payments::Status CheckWebhookUrl(const std::string& text, const std::string& merchant_id,
                                 const WebhookSettings& settings) {
  auto url = http::ParseWebhookUrl(text);
  if (!url) return std::unexpected(url.error());
  if (url->scheme != "https" && !settings.allow_http) {
    return std::unexpected(UrlInvalid("url must use https."));
  }
  const http::AddressPolicy policy(settings.allowed);
  std::vector<http::IpAddress> addresses;
  if (url->host_is_ip) {
    auto ip = http::ParseIpAddress(url->host);
    if (!ip) return std::unexpected(UrlInvalid("url's host is not a valid IP address."));
    addresses.push_back(*ip);
  } else {
    auto resolved = ResolveOffLoop(url->host, merchant_id, settings.resolve_timeout);
    if (!resolved) return std::unexpected(resolved.error());
    addresses = std::move(*resolved);
  }
  for (const auto& a : addresses) {
    if (!policy.Allows(a)) {
      // Which address is not said: the answer would map the service's
      // internal DNS for whoever asks.
      return std::unexpected(
          UrlInvalid("url's host resolves to an address that is not public; webhooks are "
                     "delivered only to public addresses."));
    }
  }
  return {};
}

WebhookEndpoints::WebhookEndpoints(db::Pool& pool, WebhookSettings settings)
    : pool_(pool), settings_(std::move(settings)) {}

payments::Result<WebhookEndpoint> WebhookEndpoints::Create(
    const std::string& merchant_id, const CreateWebhookEndpointInput& input) {
  if (auto ok = CheckWebhookUrl(input.url, merchant_id, settings_); !ok)
    return std::unexpected(ok.error());
  const std::string id = NewId("we");
  std::string secret = events::MakeWebhookSecret();
  store::WebhookEndpointRow row{
      .id = id,
      .merchant_id = merchant_id,
      .url = input.url,
      .description = input.description,
      .enabled_events = input.enabled_events,
      .status = input.disabled ? "disabled" : "enabled",
      .secret_sealed = SealAes256Gcm(settings_.secrets_key, secret, id),
  };
  auto stored = db::InTransaction(pool_, [&](db::Connection& conn) {
    return store::InsertWebhookEndpoint(conn, row, input.idempotency_key, input.request_hash,
                                        settings_.max_endpoints_per_merchant);
  });
  if (!stored) return std::unexpected(stored.error());
  if (stored->limit_reached) {
    return std::unexpected(Error::InvalidRequest(
        "webhook_endpoint_limit",
        fmt::format("A merchant may have at most {} webhook endpoints; delete one first.",
                    settings_.max_endpoints_per_merchant)));
  }
  if (!stored->replayed) {
    return WebhookEndpoint{.row = std::move(stored->row), .secret = std::move(secret)};
  }
  if (!stored->same_request) {
    return std::unexpected(
        Error::Of(ErrorKind::kIdempotencyMismatch, "idempotency_key_reused",
                  "This Idempotency-Key was used with a different request body; use a new key."));
  }
  return WebhookEndpoint{.row = std::move(stored->row), .secret = std::nullopt, .replayed = true};
}

payments::Result<WebhookEndpoint> WebhookEndpoints::Get(const std::string& merchant_id,
                                                        const std::string& id) {
  if (!IsWellFormedId(id, "we")) return std::unexpected(NoSuchEndpoint(id));
  auto conn = pool_.Acquire();
  if (!conn) return std::unexpected(conn.error());
  auto row = store::FindWebhookEndpoint(**conn, merchant_id, id);
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::unexpected(NoSuchEndpoint(id));
  return WebhookEndpoint{.row = std::move(**row), .secret = std::nullopt};
}

payments::Result<std::optional<store::WebhookEndpointPage>> WebhookEndpoints::List(
    const std::string& merchant_id, const std::optional<std::string>& starting_after, int limit) {
  if (starting_after && !IsWellFormedId(*starting_after, "we")) {
    return std::optional<store::WebhookEndpointPage>();
  }
  auto conn = pool_.Acquire();
  if (!conn) return std::unexpected(conn.error());
  return store::ListWebhookEndpoints(**conn, merchant_id, starting_after, limit);
}

payments::Result<WebhookEndpoint> WebhookEndpoints::Update(
    const std::string& merchant_id, const std::string& id,
    const store::WebhookEndpointChanges& changes) {
  if (!IsWellFormedId(id, "we")) return std::unexpected(NoSuchEndpoint(id));
  if (changes.url) {
    if (auto ok = CheckWebhookUrl(*changes.url, merchant_id, settings_); !ok) {
      return std::unexpected(ok.error());
    }
  }
  auto row = db::InTransaction(pool_, [&](db::Connection& conn) {
    return store::UpdateWebhookEndpoint(conn, merchant_id, id, changes);
  });
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::unexpected(NoSuchEndpoint(id));
  return WebhookEndpoint{.row = std::move(**row), .secret = std::nullopt};
}

payments::Status WebhookEndpoints::Delete(const std::string& merchant_id, const std::string& id) {
  if (!IsWellFormedId(id, "we")) return std::unexpected(NoSuchEndpoint(id));
  auto deleted = db::InTransaction(pool_, [&](db::Connection& conn) {
    return store::DeleteWebhookEndpoint(conn, merchant_id, id);
  });
  if (!deleted) return std::unexpected(deleted.error());
  if (!*deleted) return std::unexpected(NoSuchEndpoint(id));
  return {};
}

payments::Result<WebhookEndpoint> WebhookEndpoints::RotateSecret(const std::string& merchant_id,
                                                                 const std::string& id) {
  if (!IsWellFormedId(id, "we")) return std::unexpected(NoSuchEndpoint(id));
  std::string secret = events::MakeWebhookSecret();
  const std::string sealed = SealAes256Gcm(settings_.secrets_key, secret, id);
  auto row = db::InTransaction(pool_, [&](db::Connection& conn) {
    return store::RotateWebhookSecret(conn, merchant_id, id, sealed, settings_.rotation_overlap);
  });
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::unexpected(NoSuchEndpoint(id));
  return WebhookEndpoint{.row = std::move(**row), .secret = std::move(secret)};
}

payments::Result<store::WebhookAttemptPage> WebhookEndpoints::Attempts(
    const std::string& merchant_id, const std::string& id, std::optional<int64_t> starting_after,
    int limit) {
  if (!IsWellFormedId(id, "we")) return std::unexpected(NoSuchEndpoint(id));
  auto conn = pool_.Acquire();
  if (!conn) return std::unexpected(conn.error());
  auto exists = store::WebhookEndpointExists(**conn, merchant_id, id);
  if (!exists) return std::unexpected(exists.error());
  if (!*exists) return std::unexpected(NoSuchEndpoint(id));
  return store::ListWebhookAttempts(**conn, id, starting_after, limit);
}

namespace {

payments::Result<int64_t> Resend(db::Pool& pool, const std::string& merchant_id,
                                 const std::string& event_id,
                                 const std::optional<std::string>& endpoint_id) {
  const Error no_event = Error::NotFound(fmt::format("No such event: '{}'", event_id), "id");
  if (!IsWellFormedId(event_id, "evt")) return std::unexpected(no_event);
  if (endpoint_id && !IsWellFormedId(*endpoint_id, "we")) {
    return std::unexpected(
        Error::NotFound(fmt::format("No such webhook endpoint: '{}'", *endpoint_id), "endpoint"));
  }
  return db::InTransaction(pool, [&](db::Connection& conn) -> payments::Result<int64_t> {
    if (endpoint_id) {
      auto exists = store::WebhookEndpointExists(conn, merchant_id, *endpoint_id);
      if (!exists) return std::unexpected(exists.error());
      if (!*exists) {
        return std::unexpected(Error::NotFound(
            fmt::format("No such webhook endpoint: '{}'", *endpoint_id), "endpoint"));
      }
    }
    auto made = store::ResendEvent(conn, merchant_id, event_id, endpoint_id);
    if (!made) return std::unexpected(made.error());
    if (!*made) return std::unexpected(no_event);
    return **made;
  });
}

}  // namespace

payments::Result<int64_t> WebhookEndpoints::Resend(const std::string& merchant_id,
                                                   const std::string& event_id,
                                                   const std::optional<std::string>& endpoint_id) {
  return service::Resend(pool_, merchant_id, event_id, endpoint_id);
}

payments::Result<int64_t> ResendEventAsOperator(db::Pool& pool, const std::string& event_id,
                                                const std::optional<std::string>& endpoint_id) {
  return service::Resend(pool, "", event_id, endpoint_id);
}

}  // namespace payments::service
