// Webhook deliveries (docs/webhooks.md): routes committed events to the
// endpoints subscribed to them and delivers them, at least once, signed,
// retried, in order per payment, never on a request's path.
//
// Every instance runs one. Its claimer thread, every poll interval (at once
// when an attempt ends or there was more work than workers):
//   1. routes, once a poll interval: in a transaction holding the router's
//      transaction-level advisory lock (one router at a time, any
//      instance), turns the oldest unrouted events into deliveries
//      (store::RouteEvents);
//   2. claims as many due deliveries as it has idle workers, with a lease
//      (store::ClaimDeliveries: per-endpoint limits, open circuits skipped,
//      a payment's later event never before its earlier one), and hands them
//      to its worker threads;
//   3. every few seconds reads the backlog for /metrics, and every minute
//      purges finished deliveries older than the retention.
// A worker signs the event (events/webhook_signature.h; the body is the
// stored event, byte for byte what GET /v1/events/{id} returns), POSTs it
// (http/outbound_post.h: the URL and its addresses checked again, DNS can
// change), judges the answer (service/webhook_retry.h) and records the
// attempt while its lease holds. A delivery leased by an instance that died
// or stalled is claimed again when the lease runs out.
//
// Thread-safe: Start/Stop from one controlling thread; Stats from any.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "db/pool.h"
#include "http/address_policy.h"
#include "http/outbound_post.h"
#include "service/webhook_retry.h"
#include "store/webhook_store.h"
#include "telemetry/metrics.h"

namespace payments::service {

struct DispatcherOptions {
  std::string owner;  // this instance's id, the leases' owner
  int workers = 16;   // deliveries in flight from this instance
  int per_endpoint = 4;
  int per_merchant = 8;                    // in flight to all of one merchant's endpoints
  std::chrono::milliseconds lease{60000};  // > total_timeout: a live worker keeps its lease
  std::chrono::milliseconds poll_interval{250};
  int route_batch = 500;
  bool allow_http = false;
  std::vector<http::IpNetwork> allowed;
  std::string secrets_key;           // 32 bytes: opens the sealed signing secrets
  std::string previous_secrets_key;  // during a key rotation: opens too
  http::OutboundOptions outbound;
  WebhookRetryOptions retry;
  std::chrono::hours retention{24 * 30};
  std::chrono::milliseconds stats_interval{2000};
  std::chrono::milliseconds purge_interval{60000};
};

struct DispatcherStats {
  bool running = false;
  int64_t succeeded = 0;      // deliveries that got a 2xx
  int64_t failed = 0;         // attempts that failed and will be retried
  int64_t given_up = 0;       // deliveries given up after the last retry
  int64_t gone = 0;           // endpoints disabled by a 410
  int64_t lease_lost = 0;     // attempts whose lease ran out before they were recorded
  int64_t routed_events = 0;  // events this instance routed
  int64_t errors = 0;         // database errors
  int64_t in_flight = 0;
  store::WebhookStats backlog;  // as of the last refresh
};

class WebhookDispatcher {
 public:
  WebhookDispatcher(db::Pool& pool, DispatcherOptions options);
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;
  ~WebhookDispatcher();  // Stop()

  void Start();
  // Stops claiming, lets attempts in flight finish (each within the
  // outbound timeouts) and joins the threads. Leases of attempts cut short
  // run out and another instance delivers again.
  void Stop();

  bool Running() const { return running_.load(); }
  DispatcherStats Stats() const;

 private:
  void ClaimLoop();
  void WorkerLoop();
  void Deliver(const store::ClaimedDelivery& d);
  void Route();
  int Claim();
  void Housekeeping();
  void Count(store::DeliveryOutcome outcome);

  db::Pool& pool_;
  const DispatcherOptions options_;
  const http::AddressPolicy policy_;
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable wake_;  // workers: a delivery queued; claimer: a worker freed
  std::deque<store::ClaimedDelivery> queue_;
  int busy_ = 0;
  int64_t finished_ = 0;  // attempts ended: wakes the claimer
  DispatcherStats stats_;
  std::chrono::steady_clock::time_point next_route_{};  // the claimer's thread only
  std::chrono::steady_clock::time_point next_stats_{};
  std::chrono::steady_clock::time_point next_purge_{};
  std::thread claimer_;
  std::vector<std::thread> workers_;
};

// The families of docs/webhooks.md, "Metrics". The per-endpoint gauges name
// the endpoint (an exception to the rule that labels hold no ids: an
// operator needs to know which endpoint lags), for at most the 50 with the
// oldest backlog.
void WriteWebhookMetrics(const DispatcherStats& stats, telemetry::MetricsWriter& w);

}  // namespace payments::service
