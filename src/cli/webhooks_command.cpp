// `payments webhooks …`: merchants' webhook endpoints and their deliveries,
// for an operator (docs/webhooks.md, "Operating").
//
//   payments webhooks list [--merchant ID] [--limit N] [--json]
//   payments webhooks attempts <we_…> [--limit N] [--json]
//   payments webhooks resend <evt_…> [--endpoint we_…]
//   payments webhooks reseal
//
// `resend` makes new deliveries of the event, due now: to the endpoint named,
// else to every enabled endpoint of its merchant subscribed to its type.
// `reseal` is the last step of a rotation of the key that seals signing
// secrets (docs/webhooks.md, "Operating"): with the keys serve is given
// (PAYMENTS_WEBHOOK_SECRETS_KEY[_PREVIOUS], else PAYMENTS_FINGERPRINT_KEY[_FILE]
// and PAYMENTS_FINGERPRINT_KEY_PREVIOUS), every secret only the previous key
// opens is sealed again under the current one.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "cli/subcommands.h"
#include "core/ids.h"
#include "core/json_text.h"
#include "db/batch.h"
#include "serve/fingerprint_key.h"
#include "service/webhook_endpoints.h"
#include "store/webhook_store.h"

namespace payments::cli {
namespace {

using Json = nlohmann::ordered_json;

struct Args {
  std::string database_url, merchant, id, endpoint;
  int limit = 100;
  bool json = false;
};

std::string Or(const std::optional<int64_t>& v, const char* none) {
  return v ? std::to_string(*v) : none;
}

void AddList(CLI::App& webhooks, int& exit_code) {
  auto args = std::make_shared<Args>();
  auto* sub = webhooks.add_subcommand("list", "Webhook endpoints, newest first");
  AddDatabaseUrlOption(sub, args->database_url);
  sub->add_option("--merchant", args->merchant, "Only this merchant's");
  sub->add_option("--limit", args->limit, "At most this many")->check(CLI::Range(1, 10000));
  sub->add_flag("--json", args->json, "One JSON object per line");
  sub->callback([args, &exit_code] {
    RunWithPool(
        args->database_url, "payments webhooks", exit_code,
        [&](db::Pool& pool) -> payments::Status {
          auto page = db::Read(pool, [&](db::Connection& c) {
            return store::ListWebhookEndpoints(c, args->merchant, std::nullopt, args->limit);
          });
          if (!page) return std::unexpected(page.error());
          if (!args->json) {
            std::printf("%-29s %-30s %-8s %7s %s\n", "ID", "MERCHANT", "STATUS", "FAILING", "URL");
          }
          for (const auto& e : (*page)->endpoints) {
            if (args->json) {
              std::puts(DumpJson(Json{{"id", e.id},
                                      {"merchant", e.merchant_id},
                                      {"status", e.status},
                                      {"disabled_reason", e.disabled_reason.value_or("")},
                                      {"failure_streak", e.failure_streak},
                                      {"circuit_open_until", Or(e.circuit_open_until, "")},
                                      {"enabled_events", e.enabled_events},
                                      {"url", e.url}})
                            .c_str());
            } else {
              std::printf("%-29s %-30s %-8s %7d %s\n", e.id.c_str(), e.merchant_id.c_str(),
                          e.status.c_str(), e.failure_streak, e.url.c_str());
            }
          }
          return {};
        });
  });
}

void AddAttempts(CLI::App& webhooks, int& exit_code) {
  auto args = std::make_shared<Args>();
  auto* sub = webhooks.add_subcommand("attempts", "An endpoint's delivery attempts, newest first");
  AddDatabaseUrlOption(sub, args->database_url);
  sub->add_option("endpoint", args->id, "The endpoint (we_…)")->required();
  sub->add_option("--limit", args->limit, "At most this many")->check(CLI::Range(1, 10000));
  sub->add_flag("--json", args->json, "One JSON object per line");
  sub->callback([args, &exit_code] {
    if (!IsWellFormedId(args->id, "we")) {
      exit_code = ReportError(Error::InvalidRequest(
          "parameter_invalid", fmt::format("'{}' is not an endpoint id (we_…)", args->id)));
      return;
    }
    RunWithPool(
        args->database_url, "payments webhooks", exit_code,
        [&](db::Pool& pool) -> payments::Status {
          auto page =
              db::Read(pool, [&](db::Connection& c) -> payments::Result<store::WebhookAttemptPage> {
                auto exists = store::WebhookEndpointExists(c, "", args->id);
                if (!exists) return std::unexpected(exists.error());
                if (!*exists) {
                  return std::unexpected(
                      Error::NotFound(fmt::format("No such webhook endpoint: '{}'", args->id)));
                }
                return store::ListWebhookAttempts(c, args->id, std::nullopt, args->limit);
              });
          if (!page) return std::unexpected(page.error());
          if (!args->json) {
            std::printf("%-14s %-31s %6s %8s %-14s %s\n", "AT(ms)", "EVENT", "STATUS", "LATENCY",
                        "NEXT RETRY", "ERROR");
          }
          for (const auto& a : page->attempts) {
            if (args->json) {
              std::puts(DumpJson(Json{{"id", a.id},
                                      {"event", a.event_id},
                                      {"attempted_at_ms", a.attempted_at_ms},
                                      {"status_code", Or(a.status_code, "")},
                                      {"latency_ms", a.latency_ms},
                                      {"error", a.error.value_or("")},
                                      {"next_retry_at_ms", Or(a.next_retry_at_ms, "")}})
                            .c_str());
            } else {
              std::printf("%-14lld %-31s %6s %6lldms %-14s %s\n",
                          static_cast<long long>(a.attempted_at_ms), a.event_id.c_str(),
                          Or(a.status_code, "-").c_str(), static_cast<long long>(a.latency_ms),
                          Or(a.next_retry_at_ms, "-").c_str(), a.error.value_or("").c_str());
            }
          }
          return {};
        });
  });
}

void AddResend(CLI::App& webhooks, int& exit_code) {
  auto args = std::make_shared<Args>();
  auto* sub = webhooks.add_subcommand("resend", "Deliver an event again, now");
  AddDatabaseUrlOption(sub, args->database_url);
  sub->add_option("event", args->id, "The event (evt_…)")->required();
  sub->add_option("--endpoint", args->endpoint, "Only to this endpoint (we_…)");
  sub->callback([args, &exit_code] {
    RunWithPool(
        args->database_url, "payments webhooks", exit_code,
        [&](db::Pool& pool) -> payments::Status {
          auto made = service::ResendEventAsOperator(
              pool, args->id,
              args->endpoint.empty() ? std::nullopt : std::optional<std::string>(args->endpoint));
          if (!made) return std::unexpected(made.error());
          std::printf("%s: %lld deliveries made\n", args->id.c_str(),
                      static_cast<long long>(*made));
          return {};
        });
  });
}

struct KeyArgs {
  std::string database_url, secrets_key, secrets_key_previous, fingerprint_key,
      fingerprint_key_file, fingerprint_key_previous;
};

void AddReseal(CLI::App& webhooks, int& exit_code) {
  auto args = std::make_shared<KeyArgs>();
  auto* sub = webhooks.add_subcommand(
      "reseal", "Seal every signing secret under the current key (after a key rotation)");
  AddDatabaseUrlOption(sub, args->database_url);
  sub->add_option("--webhook-secrets-key", args->secrets_key)
      ->envname("PAYMENTS_WEBHOOK_SECRETS_KEY");
  sub->add_option("--webhook-secrets-key-previous", args->secrets_key_previous)
      ->envname("PAYMENTS_WEBHOOK_SECRETS_KEY_PREVIOUS");
  sub->add_option("--fingerprint-key", args->fingerprint_key)->envname("PAYMENTS_FINGERPRINT_KEY");
  sub->add_option("--fingerprint-key-file", args->fingerprint_key_file)
      ->envname("PAYMENTS_FINGERPRINT_KEY_FILE");
  sub->add_option("--fingerprint-key-previous", args->fingerprint_key_previous)
      ->envname("PAYMENTS_FINGERPRINT_KEY_PREVIOUS");
  sub->callback([args, &exit_code] {
    std::string key = args->secrets_key;
    std::string previous = args->secrets_key_previous;
    std::string fingerprint;
    std::string fingerprint_previous;
    if (key.empty()) {
      auto keys = serve::ResolveFingerprintKeys({.key = args->fingerprint_key,
                                                 .key_file = args->fingerprint_key_file,
                                                 .previous = args->fingerprint_key_previous});
      if (!keys) return void(exit_code = ReportError(keys.error()));
      fingerprint = keys->key;
      fingerprint_previous = keys->previous;
    }
    const service::WebhookSecretsKeys resolved =
        service::ResolveWebhookSecretsKeys(key, previous, fingerprint, fingerprint_previous);
    if (resolved.previous.empty()) {
      exit_code = ReportError(Error::InvalidRequest(
          "parameter_missing",
          "nothing to re-seal from: set PAYMENTS_WEBHOOK_SECRETS_KEY_PREVIOUS (or "
          "PAYMENTS_FINGERPRINT_KEY_PREVIOUS when the secrets key is derived from it)"));
      return;
    }
    RunWithPool(args->database_url, "payments webhooks", exit_code,
                [&](db::Pool& pool) -> payments::Status {
                  auto resealed =
                      service::ResealWebhookSecrets(pool, resolved.key, resolved.previous);
                  if (!resealed) return std::unexpected(resealed.error());
                  std::printf("%lld endpoints re-sealed under the current key\n",
                              static_cast<long long>(*resealed));
                  return {};
                });
  });
}

}  // namespace

void AddWebhooksCommand(CLI::App& app, int& exit_code) {
  auto* webhooks = app.add_subcommand(
      "webhooks", "Merchants' webhook endpoints and their deliveries (docs/webhooks.md)");
  webhooks->require_subcommand(1);
  AddList(*webhooks, exit_code);
  AddAttempts(*webhooks, exit_code);
  AddResend(*webhooks, exit_code);
  AddReseal(*webhooks, exit_code);
}

}  // namespace payments::cli
