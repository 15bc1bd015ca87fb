// `payments serve`: every option also reads its PAYMENTS_* variable.
#include <fmt/format.h>

#include "cli/subcommands.h"
#include "core/duration.h"
#include "core/host_port.h"
#include "http/address_policy.h"
#include "http/client_address.h"
#include "serve/app.h"
#include "serve/fingerprint_key.h"
#include "service/reconciler.h"
#include "telemetry/log.h"

namespace payments::cli {
namespace {

// Whole seconds, at least one and at most a day.
CLI::Option* AddSeconds(CLI::App* sub, const std::string& name, std::chrono::seconds& target,
                        const std::string& env, const std::string& help) {
  return AddDuration(sub, name, target, env, help)->check(CLI::Range(int64_t{1}, int64_t{86400}));
}

void AddWebhookOptions(CLI::App* sub, serve::ServeConfig& config) {
  sub->add_flag("--webhook-allow-http", config.webhook_allow_http,
                "Allow http:// webhook endpoints (development and tests only)")
      ->envname("PAYMENTS_WEBHOOK_ALLOW_HTTP");
  sub->add_option("--webhook-allowed-networks", config.webhook_allowed_networks,
                  "Addresses or CIDRs webhook endpoints may resolve to besides public ones "
                  "(e.g. 127.0.0.1/32 for tests)")
      ->envname("PAYMENTS_WEBHOOK_ALLOWED_NETWORKS");
  sub->add_option("--webhook-secrets-key", config.webhook_secrets_key,
                  "Key that seals webhook signing secrets at rest, 32 characters or more; unset: "
                  "derived from the fingerprint key")
      ->envname("PAYMENTS_WEBHOOK_SECRETS_KEY");
  sub->add_option("--webhook-secrets-key-previous", config.webhook_secrets_key_previous,
                  "The secrets key before a rotation: secrets sealed under it still open and are "
                  "re-sealed under the new one")
      ->envname("PAYMENTS_WEBHOOK_SECRETS_KEY_PREVIOUS");
  sub->add_option("--webhook-ca-file", config.webhook_ca_file,
                  "PEM bundle of the CAs that endpoints' certificates chain to; unset: the "
                  "system's")
      ->envname("PAYMENTS_WEBHOOK_CA_FILE");
  sub->add_option("--webhook-retry-schedule", config.webhook_retry_schedule,
                  "Delays between attempts of a failing delivery; given up after the last")
      ->envname("PAYMENTS_WEBHOOK_RETRY_SCHEDULE")
      ->capture_default_str();
  sub->add_option("--webhook-workers", config.webhook_workers,
                  "Deliveries this instance attempts at once")
      ->envname("PAYMENTS_WEBHOOK_WORKERS")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  sub->add_option("--webhook-endpoint-concurrency", config.webhook_endpoint_concurrency,
                  "Deliveries in flight to one endpoint, across all instances")
      ->envname("PAYMENTS_WEBHOOK_ENDPOINT_CONCURRENCY")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  sub->add_option("--webhook-merchant-concurrency", config.webhook_merchant_concurrency,
                  "Deliveries in flight to all of one merchant's endpoints, across all instances")
      ->envname("PAYMENTS_WEBHOOK_MERCHANT_CONCURRENCY")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  sub->add_option("--webhook-breaker-threshold", config.webhook_breaker_threshold,
                  "Failures in a row after which an endpoint's circuit opens")
      ->envname("PAYMENTS_WEBHOOK_BREAKER_THRESHOLD")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  AddMillis(sub, "--webhook-lease", config.webhook_lease, "PAYMENTS_WEBHOOK_LEASE",
            "How long a claimed delivery stays this instance's; a killed instance's deliveries "
            "are attempted again after it");
  AddMillis(sub, "--webhook-poll-interval", config.webhook_poll_interval,
            "PAYMENTS_WEBHOOK_POLL_INTERVAL", "How often idle dispatchers look for new events");
  AddMillis(sub, "--webhook-connect-timeout", config.webhook_connect_timeout,
            "PAYMENTS_WEBHOOK_CONNECT_TIMEOUT", "DNS, connect and TLS handshake of a delivery");
  AddMillis(sub, "--webhook-timeout", config.webhook_timeout, "PAYMENTS_WEBHOOK_TIMEOUT",
            "A whole delivery attempt");
}

void AddRateLimitOptions(CLI::App* sub, serve::ServeConfig& config) {
  sub->add_option("--rate-limit", config.rate_limit,
                  "Requests a second per API key (a token bucket); 0: no limit")
      ->envname("PAYMENTS_RATE_LIMIT")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  sub->add_option("--rate-limit-burst", config.rate_limit_burst,
                  "Requests an API key may send at once before the rate applies")
      ->envname("PAYMENTS_RATE_LIMIT_BURST")
      ->check(CLI::Range(1.0, 1e7))
      ->capture_default_str();
  sub->add_option("--auth-failures-per-minute", config.auth_failures_per_minute,
                  "Invalid API keys a client address may send a minute; 0: no limit")
      ->envname("PAYMENTS_AUTH_FAILURES_PER_MINUTE")
      ->check(CLI::Range(0.0, 1e7))
      ->capture_default_str();
  sub->add_option("--auth-failure-burst", config.auth_failure_burst,
                  "Invalid API keys a client address may send at once")
      ->envname("PAYMENTS_AUTH_FAILURE_BURST")
      ->check(CLI::Range(1.0, 1e7))
      ->capture_default_str();
  sub->add_option("--trusted-proxies", config.trusted_proxies,
                  "Comma-separated addresses and CIDR networks of the proxies whose "
                  "X-Forwarded-For names the client (default: none, the socket's peer is)")
      ->envname("PAYMENTS_TRUSTED_PROXIES");
  sub->add_option("--card-testing-min-declines", config.card_testing_min_declines,
                  "Declines of one merchant within the window that pause its authorizations "
                  "(with the ratio); 0: no card-testing guard")
      ->envname("PAYMENTS_CARD_TESTING_MIN_DECLINES")
      ->check(CLI::Range(int64_t{0}, int64_t{1000000}))
      ->capture_default_str();
  sub->add_option("--card-testing-decline-ratio", config.card_testing_decline_ratio,
                  "The share of a merchant's authorizations in the window that must be declines")
      ->envname("PAYMENTS_CARD_TESTING_DECLINE_RATIO")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  AddSeconds(sub, "--card-testing-window", config.card_testing_window,
             "PAYMENTS_CARD_TESTING_WINDOW", "The card-testing guard's sliding window");
  AddSeconds(sub, "--card-testing-pause", config.card_testing_pause, "PAYMENTS_CARD_TESTING_PAUSE",
             "How long a merchant's authorizations stay paused");
}

}  // namespace

void AddServeCommand(CLI::App& app, int& exit_code) {
  auto config = std::make_shared<serve::ServeConfig>();
  auto* sub = app.add_subcommand("serve", "Run the payment service");
  sub->add_option("--listen", config->listen, "Public API address HOST:PORT")
      ->envname("PAYMENTS_LISTEN")
      ->capture_default_str();
  sub->add_option("--admin-listen", config->admin_listen,
                  "Probes, metrics and admin API address HOST:PORT")
      ->envname("PAYMENTS_ADMIN_LISTEN")
      ->capture_default_str();
  AddDatabaseUrlOption(sub, config->database_url);
  sub->add_option("--data-dir", config->data_dir,
                  "Directory of the embedded default database (when no database URL is set)")
      ->envname("PAYMENTS_DATA_DIR")
      ->capture_default_str();
  sub->add_option("--db-pool-size", config->db_pool_size, "Database connections at most")
      ->envname("PAYMENTS_DB_POOL_SIZE")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  sub->add_option("--db-group-commit", config->db_group_commit,
                  "Requests that may share one database transaction (1: each its own)")
      ->envname("PAYMENTS_DB_GROUP_COMMIT")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  sub->add_option("--handlers", config->handlers,
                  "Where request handlers run: fibers on the event loops, or threads of a pool")
      ->envname("PAYMENTS_HANDLERS")
      ->check(CLI::IsMember({"fibers", "threads"}))
      ->capture_default_str();
  sub->add_option("--workers", config->workers, "With --handlers threads: threads that run them")
      ->envname("PAYMENTS_WORKERS")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  sub->add_option("--io-threads", config->io_threads, "Threads of the public event loop")
      ->envname("PAYMENTS_IO_THREADS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  AddMillis(sub, "--drain-delay", config->drain_delay, "PAYMENTS_DRAIN_DELAY",
            "After SIGTERM, keep accepting this long while unready");
  AddMillis(sub, "--shutdown-timeout", config->shutdown_timeout, "PAYMENTS_SHUTDOWN_TIMEOUT",
            "Then wait this long for in-flight requests");
  AddMillis(sub, "--http-read-timeout", config->http_read_timeout, "PAYMENTS_HTTP_READ_TIMEOUT",
            "A request must arrive whole within this long of its first byte")
      ->check(CLI::PositiveNumber);
  AddMillis(sub, "--http-idle-timeout", config->http_idle_timeout, "PAYMENTS_HTTP_IDLE_TIMEOUT",
            "Close a keep-alive connection idle this long")
      ->check(CLI::PositiveNumber);
  sub->add_option("--max-connections", config->max_connections,
                  "Open connections the public listener holds; beyond, it stops accepting until "
                  "one closes")
      ->envname("PAYMENTS_MAX_CONNECTIONS")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  sub->add_option("--tls-cert-file", config->tls_cert_file,
                  "PEM certificate chain of the public listener; with --tls-key-file it speaks "
                  "TLS only (re-read on SIGHUP)")
      ->envname("PAYMENTS_TLS_CERT_FILE");
  sub->add_option("--tls-key-file", config->tls_key_file,
                  "PEM private key of that certificate (not encrypted)")
      ->envname("PAYMENTS_TLS_KEY_FILE");
  AddMillis(sub, "--idempotency-lock", config->idempotency_lock, "PAYMENTS_IDEMPOTENCY_LOCK",
            "How long a claimed Idempotency-Key stays locked if its request dies");
  AddMillis(sub, "--liveness-stall", config->liveness_stall, "PAYMENTS_LIVENESS_STALL",
            "/livez fails when the event loop has not run for this long");
  AddMillis(sub, "--statement-timeout", config->statement_timeout, "PAYMENTS_STATEMENT_TIMEOUT",
            "Longest a database statement may run");
  sub->add_option("--processor-url", config->processor_url,
                  "The payment processor, http://host:port (docs/sandbox.md's protocol); unset: "
                  "start the SIMULATED sandbox processor as a child")
      ->envname("PAYMENTS_PROCESSOR_URL");
  AddMillis(sub, "--processor-timeout", config->processor_timeout, "PAYMENTS_PROCESSOR_TIMEOUT",
            "How long to wait for the processor's answer once a request is sent; past it the "
            "outcome is unknown until reconciled");
  AddMillis(sub, "--processor-connect-timeout", config->processor_connect_timeout,
            "PAYMENTS_PROCESSOR_CONNECT_TIMEOUT", "How long to wait for a connection to it");
  AddMillis(sub, "--reconcile-interval", config->reconcile_interval, "PAYMENTS_RECONCILE_INTERVAL",
            "How often the active reconciler looks for calls whose answer is due");
  sub->add_option("--reconcile-schedule", config->reconcile_schedule,
                  "Delays between looks at a call whose answer is unknown (e.g. "
                  "2s,10s,1m,10m,1h,1d); after the last it is left for an operator")
      ->envname("PAYMENTS_RECONCILE_SCHEDULE");
  AddWebhookOptions(sub, *config);
  sub->add_option("--sandbox-journal", config->sandbox_journal,
                  "Without --processor-url: the child sandbox's journal (default "
                  "<data-dir>/sandbox.journal)")
      ->envname("PAYMENTS_SANDBOX_JOURNAL");
  AddMillis(sub, "--sandbox-latency", config->sandbox_latency, "PAYMENTS_SANDBOX_LATENCY",
            "Simulated latency of every call to the child sandbox");
  AddMillis(sub, "--sandbox-slow-latency", config->sandbox_slow_latency,
            "PAYMENTS_SANDBOX_SLOW_LATENCY", "Latency of the sandbox's slow test card");
  AddMillis(sub, "--sandbox-hang", config->sandbox_hang, "PAYMENTS_SANDBOX_HANG",
            "How long the sandbox's no-answer cards hold a call before dropping it");
  sub->add_option("--fingerprint-key", config->fingerprint_key,
                  "HMAC key for card fingerprints, 32 characters or more; required with a "
                  "database URL (the embedded default generates one)")
      ->envname("PAYMENTS_FINGERPRINT_KEY");
  sub->add_option("--fingerprint-key-file", config->fingerprint_key_file,
                  "File holding the fingerprint key (a mounted secret), instead of the value")
      ->envname("PAYMENTS_FINGERPRINT_KEY_FILE");
  sub->add_option("--fingerprint-key-previous", config->fingerprint_key_previous,
                  "The fingerprint key before a rotation: idempotent retries of requests made "
                  "under it still replay")
      ->envname("PAYMENTS_FINGERPRINT_KEY_PREVIOUS");
  sub->add_option("--fingerprint-scope", config->fingerprint_scope,
                  "merchant: the same card has a different fingerprint at each merchant; global")
      ->envname("PAYMENTS_FINGERPRINT_SCOPE")
      ->check(CLI::IsMember({"merchant", "global"}))
      ->capture_default_str();
  sub->add_option("--log-level", config->log_level, "debug, info, warn or error")
      ->envname("PAYMENTS_LOG_LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  sub->add_option("--admin-token", config->admin_token,
                  "Bearer token of the admin API (/admin/flags); unset turns it off")
      ->envname("PAYMENTS_ADMIN_TOKEN");
  AddMillis(sub, "--flags-poll-interval", config->flags_poll_interval,
            "PAYMENTS_FLAGS_POLL_INTERVAL",
            "Re-read the flags this often even without a notification");
  sub->add_option("--kafka-brokers", config->kafka_brokers,
                  "Kafka bootstrap servers for the outbox relay; unset: events are not published")
      ->envname("PAYMENTS_KAFKA_BROKERS");
  sub->add_option("--kafka-topic", config->kafka_topic, "Topic the relay publishes to")
      ->envname("PAYMENTS_KAFKA_TOPIC")
      ->capture_default_str();
  sub->add_option("--events-batch-size", config->events_batch_size,
                  "Events the relay publishes per batch")
      ->envname("PAYMENTS_EVENTS_BATCH_SIZE")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  sub->add_option("--events-retention-days", config->events_retention_days,
                  "Days published events stay in the outbox (and the events API)")
      ->envname("PAYMENTS_EVENTS_RETENTION_DAYS")
      ->check(CLI::Range(1, 3650))
      ->capture_default_str();
  AddRateLimitOptions(sub, *config);
  sub->add_flag("--fault-injection", config->fault_injection,
                "Enable the fault injection routes of the admin listener (drills only)")
      ->envname("PAYMENTS_FAULT_INJECTION");
  sub->callback([config, &exit_code] {
    for (const std::string* address : {&config->listen, &config->admin_listen}) {
      if (auto parsed = ParseHostPort(*address); !parsed) {
        PrintError(parsed.error().message);
        exit_code = 2;
        return;
      }
    }
    if (auto proxies = http::TrustedProxies::Parse(config->trusted_proxies); !proxies) {
      PrintError(proxies.error().message);
      exit_code = 2;
      return;
    }
    if (auto schedule = service::ParseReconcileSchedule(config->reconcile_schedule); !schedule) {
      PrintError(schedule.error().message);
      exit_code = 2;
      return;
    }
    if (auto schedule =
            ParseDurationList(config->webhook_retry_schedule, "PAYMENTS_WEBHOOK_RETRY_SCHEDULE",
                              "PAYMENTS_WEBHOOK_RETRY_SCHEDULE");
        !schedule) {
      PrintError(schedule.error().message);
      exit_code = 2;
      return;
    }
    if (auto networks = http::ParseIpNetworks(config->webhook_allowed_networks); !networks) {
      PrintError(networks.error().message);
      exit_code = 2;
      return;
    }
    if (!config->webhook_secrets_key.empty() && config->webhook_secrets_key.size() < 32) {
      PrintError("PAYMENTS_WEBHOOK_SECRETS_KEY must be at least 32 characters");
      exit_code = 2;
      return;
    }
    if (config->webhook_lease <= config->webhook_timeout) {
      PrintError(
          "PAYMENTS_WEBHOOK_LEASE must be longer than PAYMENTS_WEBHOOK_TIMEOUT, or a "
          "delivery still in flight is claimed again by another instance");
      exit_code = 2;
      return;
    }
    if (config->tls_cert_file.empty() != config->tls_key_file.empty()) {
      PrintError(
          config->tls_cert_file.empty()
              ? "PAYMENTS_TLS_KEY_FILE is set without PAYMENTS_TLS_CERT_FILE; TLS needs both"
              : "PAYMENTS_TLS_CERT_FILE is set without PAYMENTS_TLS_KEY_FILE; TLS needs both");
      exit_code = 2;
      return;
    }
    auto keys = serve::ResolveFingerprintKeys({.key = config->fingerprint_key,
                                               .key_file = config->fingerprint_key_file,
                                               .previous = config->fingerprint_key_previous,
                                               .embedded_default = config->database_url.empty()});
    if (!keys) {
      PrintError(keys.error().message);
      exit_code = 2;
      return;
    }
    config->fingerprint_key = keys->key;
    config->fingerprint_key_previous = keys->previous;
    exit_code = serve::RunServe(*config);
  });
}

}  // namespace payments::cli
