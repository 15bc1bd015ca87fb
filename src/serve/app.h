// `payments serve`: assembles the service and runs its lifecycle.
//
// Startup: the admin listener first (probes answer 503 while starting), then
// the database (the embedded default, or PAYMENTS_DATABASE_URL), the schema
// check and the background workers; the public listener opens only once all
// of that is ready.
//
// Shutdown on SIGTERM or SIGINT, in the two timed phases of userver:
//   1. readiness turns 503 at once; the public listener keeps accepting for
//      drain_delay while every response says `Connection: close`;
//   2. the listener and idle connections close; in-flight requests finish
//      within shutdown_timeout; workers stop; the pool closes; exit 0.
// A second signal, or the timeout, cuts it short with a non-zero exit code and
// a log line naming the requests that were cut off.
//
// With a TLS certificate and key the public listener speaks TLS only; SIGHUP
// re-reads them for new connections (a failed reload keeps the loaded ones).
// Without, SIGHUP is logged and ignored.
#pragma once

#include <chrono>
#include <string>

namespace payments::serve {

struct ServeConfig {
  std::string listen = "127.0.0.1:8080";
  std::string admin_listen = "127.0.0.1:9090";
  std::string database_url;  // empty: the embedded default under data_dir
  std::string data_dir = "var";
  int db_pool_size = 16;
  int db_group_commit = 64;         // requests per shared transaction; 1 turns group commit off
  std::string handlers = "fibers";  // "fibers" on the event loops, or "threads": the worker pool
  int workers =
      32;  // with handlers = "threads": threads that run them (they block on the database)
  int io_threads = 2;
  std::chrono::milliseconds drain_delay{5000};
  std::chrono::milliseconds shutdown_timeout{20000};
  std::chrono::milliseconds http_read_timeout{30000};  // a started request must arrive in this
  std::chrono::milliseconds http_idle_timeout{60000};  // keep-alive idle before close
  // Open connections the public listener holds before it stops accepting:
  // at the 64 KiB body and 16 KiB header limits, 1,000 busy connections need
  // about 80 MiB, inside deploy/'s 256 MiB beside the pools and caches.
  int max_connections = 1000;
  // Rate limits of the public listener (docs/security.md); 0 turns one off.
  double rate_limit = 1000;              // requests a second per API key
  double rate_limit_burst = 2000;        // and the most at once
  double auth_failures_per_minute = 60;  // invalid keys per client address
  double auth_failure_burst = 20;
  std::string trusted_proxies;  // addresses/CIDRs whose X-Forwarded-For is believed
  int64_t card_testing_min_declines = 50;
  double card_testing_decline_ratio = 0.5;
  std::chrono::seconds card_testing_window{60};
  std::chrono::seconds card_testing_pause{300};
  // PEM files of the public listener's certificate chain and private key:
  // both set, it speaks TLS only (docs/security.md, "TLS"); neither, plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::chrono::milliseconds idempotency_lock{30000};
  std::chrono::milliseconds liveness_stall{5000};
  std::chrono::milliseconds statement_timeout{5000};
  // Card fingerprint keys (serve/fingerprint_key.h resolves them before
  // RunServe). fingerprint_key empty: the embedded default's, generated once
  // and kept in its database.
  std::string fingerprint_key;
  std::string fingerprint_key_file;
  std::string fingerprint_key_previous;        // the key before a rotation
  std::string fingerprint_scope = "merchant";  // or "global"
  std::string log_level = "info";
  std::string admin_token;  // empty: the admin flag API answers 404
  std::chrono::milliseconds flags_poll_interval{5000};
  // The outbox relay: publishing is off without brokers (retention still runs).
  std::string kafka_brokers;
  std::string kafka_topic = "payments.events";
  int events_batch_size = 500;
  int events_retention_days = 30;
  // The payment processor: an HTTP peer that speaks docs/sandbox.md's
  // protocol. Empty: `payments sandbox`, the SIMULATED processor, started as
  // a child (serve/sandbox_child.h) with its journal at sandbox_journal
  // (empty: <data_dir>/sandbox.journal) and the sandbox_* settings.
  std::string processor_url;
  std::chrono::milliseconds processor_timeout{10000};  // an answer after the request was sent
  std::chrono::milliseconds processor_connect_timeout{2000};
  std::chrono::milliseconds reconcile_interval{1000};
  std::string reconcile_schedule = "2s,10s,1m,10m,1h,1d,1d,1d";  // service/reconciler.h
  std::string sandbox_journal;
  std::chrono::milliseconds sandbox_latency{0};
  std::chrono::milliseconds sandbox_slow_latency{2000};
  std::chrono::milliseconds sandbox_hang{60000};
  // Webhook deliveries (docs/webhooks.md, "Operating"). The key that seals
  // signing secrets: webhook_secrets_key, else derived from the fingerprint
  // key (service/webhook_endpoints.h).
  bool webhook_allow_http = false;
  std::string webhook_allowed_networks;  // CIDRs allowed beside public addresses
  std::string webhook_secrets_key;
  std::string webhook_secrets_key_previous;  // during its rotation
  std::string webhook_ca_file;               // extra CA bundle for endpoints' certificates
  std::string webhook_retry_schedule = "5s,5m,30m,2h,5h,10h,10h,1d,1d";
  int webhook_workers = 16;
  int webhook_endpoint_concurrency = 4;
  int webhook_merchant_concurrency = 8;
  std::chrono::milliseconds webhook_lease{60000};
  std::chrono::milliseconds webhook_poll_interval{200};
  std::chrono::milliseconds webhook_connect_timeout{5000};
  std::chrono::milliseconds webhook_timeout{15000};
  int webhook_breaker_threshold = 5;
  // Enables POST /admin/fault/stall-event-loop?ms=N on the admin listener,
  // for drills that prove /livez notices a stuck event loop. Never in production.
  bool fault_injection = false;
};

// Runs until shut down; returns the process exit code.
int RunServe(const ServeConfig& config);

}  // namespace payments::serve
