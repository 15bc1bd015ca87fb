#include "service/webhook_dispatcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "core/crypto.h"
#include "db/batch.h"
#include "db/transaction.h"
#include "events/webhook_signature.h"
#include "http/webhook_url.h"
#include "service/webhook_endpoints.h"
#include "telemetry/log.h"

namespace payments::service {
namespace {

using Clock = std::chrono::steady_clock;
using store::DeliveryOutcome;

int64_t UnixMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

double Random01() {
  thread_local std::mt19937_64 rng = [] {
    const std::string seed = RandomBytes(8);
    uint64_t v = 0;
    std::memcpy(&v, seed.data(), sizeof(v));
    return std::mt19937_64(v);
  }();
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

std::string_view OutcomeWord(DeliveryOutcome o) {
  switch (o) {
    case DeliveryOutcome::kSucceeded:
      return "succeeded";
    case DeliveryOutcome::kRetry:
      return "failed";
    case DeliveryOutcome::kGiveUp:
      return "given_up";
    case DeliveryOutcome::kGone:
      return "gone";
  }
  return "failed";
}

}  // namespace

WebhookDispatcher::WebhookDispatcher(db::Pool& pool, DispatcherOptions options)
    : pool_(pool), options_(std::move(options)), policy_(options_.allowed) {}

WebhookDispatcher::~WebhookDispatcher() { Stop(); }

void WebhookDispatcher::Start() {
  if (running_.exchange(true)) return;
  stop_ = false;
  claimer_ = std::thread([this] { ClaimLoop(); });
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

void WebhookDispatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_.load()) return;
    stop_ = true;
  }
  wake_.notify_all();
  if (claimer_.joinable()) claimer_.join();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
  // Claimed and never started: given back, so that another instance takes
  // them at once and no attempt is counted for them.
  std::vector<int64_t> unstarted;
  {
    std::lock_guard lock(mu_);
    for (const auto& d : queue_) unstarted.push_back(d.id);
    queue_.clear();
  }
  if (!unstarted.empty()) {
    auto released = db::Read(pool_, [&](db::Connection& c) {
      return store::ReleaseClaims(c, options_.owner, unstarted);
    });
    if (!released) {
      log::Warn("claimed webhook deliveries not given back; they are attempted after their lease",
                {{"deliveries", unstarted.size()}, {"error", released.error().message}});
    }
  }
  running_ = false;
}

DispatcherStats WebhookDispatcher::Stats() const {
  std::lock_guard lock(mu_);
  DispatcherStats s = stats_;
  s.running = running_.load();
  s.in_flight = busy_;
  return s;
}

void WebhookDispatcher::ClaimLoop() {
  while (!stop_.load()) {
    int64_t finished_before = 0;
    {
      std::lock_guard lock(mu_);
      finished_before = finished_;
    }
    Route();
    const int claimed = Claim();
    Housekeeping();
    std::unique_lock lock(mu_);
    auto idle = [&] { return options_.workers - busy_ - static_cast<int>(queue_.size()); };
    if (claimed > 0 && idle() > 0) continue;  // there may be more due now
    // Wait for the next poll, or for an attempt to end (it frees a worker
    // and its endpoint's slot, and may unblock its payment's next event).
    wake_.wait_for(lock, options_.poll_interval,
                   [&] { return stop_.load() || (finished_ != finished_before && idle() > 0); });
  }
}

void WebhookDispatcher::Route() {
  // Once a poll interval, not at every wake-up: the claimer wakes whenever an
  // attempt ends, and a routing is a transaction of its own.
  const auto now = Clock::now();
  if (now < next_route_) return;
  next_route_ = now + options_.poll_interval;
  // A few batches per tick, so a burst drains without waiting a poll
  // interval per batch; a backlog still left is routed at the next wake-up.
  for (int round = 0; round < 8 && !stop_.load(); ++round) {
    auto routed =
        db::InTransaction(pool_, [&](db::Connection& conn) -> payments::Result<store::RouteResult> {
          if (auto relaxed = store::CommitWithoutWaitingForFlush(conn); !relaxed) {
            return std::unexpected(relaxed.error());
          }
          auto locked = store::TryRouterLock(conn);
          if (!locked) return std::unexpected(locked.error());
          if (!*locked) return store::RouteResult{};  // another instance routes now
          return store::RouteEvents(conn, options_.route_batch);
        });
    if (!routed) {
      std::lock_guard lock(mu_);
      ++stats_.errors;
      log::Warn("webhook routing failed", {{"error", routed.error().message}});
      return;
    }
    {
      std::lock_guard lock(mu_);
      stats_.routed_events += routed->events;
    }
    if (routed->events < options_.route_batch) return;
  }
  next_route_ = {};
}

int WebhookDispatcher::Claim() {
  int idle = 0;
  {
    std::lock_guard lock(mu_);
    idle = options_.workers - busy_ - static_cast<int>(queue_.size());
  }
  if (idle <= 0 || stop_.load()) return 0;
  auto claimed = db::InTransaction(
      pool_, [&](db::Connection& conn) -> payments::Result<std::vector<store::ClaimedDelivery>> {
        if (auto relaxed = store::CommitWithoutWaitingForFlush(conn); !relaxed) {
          return std::unexpected(relaxed.error());
        }
        return store::ClaimDeliveries(conn, {.owner = options_.owner,
                                             .max = idle,
                                             .per_endpoint = options_.per_endpoint,
                                             .per_merchant = options_.per_merchant,
                                             .breaker_threshold = options_.retry.breaker_threshold,
                                             .lease = options_.lease});
      });
  if (!claimed) {
    std::lock_guard lock(mu_);
    ++stats_.errors;
    log::Warn("claiming webhook deliveries failed", {{"error", claimed.error().message}});
    return 0;
  }
  const int n = static_cast<int>(claimed->size());
  if (n > 0) {
    std::lock_guard lock(mu_);
    for (auto& d : *claimed) queue_.push_back(std::move(d));
  }
  wake_.notify_all();
  return n;
}

void WebhookDispatcher::Housekeeping() {
  const auto now = Clock::now();
  if (now >= next_stats_) {
    next_stats_ = now + options_.stats_interval;
    auto conn = pool_.Acquire();
    if (conn) {
      auto stats = store::ReadWebhookStats(**conn);
      std::lock_guard lock(mu_);
      if (stats) {
        stats_.backlog = std::move(*stats);
      } else {
        ++stats_.errors;
      }
    }
  }
  if (now >= next_purge_) {
    next_purge_ = now + options_.purge_interval;
    const auto cutoff = std::chrono::system_clock::now() - options_.retention;
    for (int round = 0; round < 100 && !stop_.load(); ++round) {
      auto purged = db::InTransaction(pool_, [&](db::Connection& conn) {
        return store::PurgeWebhookDeliveries(conn, cutoff, 1000);
      });
      if (!purged || *purged < 1000) break;
    }
  }
}

void WebhookDispatcher::WorkerLoop() {
  while (true) {
    store::ClaimedDelivery d;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stop_.load() || !queue_.empty(); });
      if (stop_.load()) return;
      d = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
    }
    Deliver(d);
    {
      std::lock_guard lock(mu_);
      --busy_;
      ++finished_;
    }
    wake_.notify_all();
  }
}

void WebhookDispatcher::Count(DeliveryOutcome outcome) {
  std::lock_guard lock(mu_);
  switch (outcome) {
    case DeliveryOutcome::kSucceeded:
      ++stats_.succeeded;
      break;
    case DeliveryOutcome::kRetry:
      ++stats_.failed;
      break;
    case DeliveryOutcome::kGiveUp:
      ++stats_.given_up;
      break;
    case DeliveryOutcome::kGone:
      ++stats_.gone;
      break;
  }
}

void WebhookDispatcher::Deliver(const store::ClaimedDelivery& d) {
  const auto started = std::chrono::system_clock::now();
  store::AttemptRecord rec{.delivery_id = d.id,
                           .owner = options_.owner,
                           .endpoint_id = d.endpoint_id,
                           .event_id = d.event_id,
                           .breaker_threshold = options_.retry.breaker_threshold,
                           .breaker_base = options_.retry.breaker_base,
                           .breaker_max = options_.retry.breaker_max,
                           .started_ms = UnixMillis(started)};
  // A failure that is not the endpoint's: retried on the schedule, without
  // counting against the endpoint's circuit.
  auto not_the_endpoints = [&](std::string error, bool retry) {
    rec.error = std::move(error);
    rec.endpoint_failed = false;
    if (retry) {
      const auto v = JudgeAttempt(d.attempts, 0, "", started, options_.retry, Random01());
      rec.outcome = v.outcome;
      rec.retry_in = v.retry_in;
    } else {
      rec.outcome = DeliveryOutcome::kGiveUp;
    }
  };
  auto url = http::ParseWebhookUrl(d.url);
  auto secret = OpenWebhookSecret(options_.secrets_key, options_.previous_secrets_key,
                                  d.secret_sealed, d.endpoint_id);
  if (!d.payload) {
    not_the_endpoints("the event was purged by retention before it could be delivered", false);
  } else if (!url) {
    not_the_endpoints("the endpoint's url is no longer valid: " + url.error().message, false);
  } else if (url->scheme != "https" && !options_.allow_http) {
    not_the_endpoints("http endpoints are not allowed here (PAYMENTS_WEBHOOK_ALLOW_HTTP)", true);
  } else if (!secret) {
    not_the_endpoints(
        "the signing secret cannot be opened with this instance's webhook secrets key", true);
  } else {
    // Every secret still in force signs: the current one, and after a
    // rotation the ones before it for their overlap.
    std::vector<std::string> secrets = {*secret};
    for (const auto& sealed : {d.previous_secret_sealed, d.older_secret_sealed}) {
      if (!sealed) continue;
      if (auto older = OpenWebhookSecret(options_.secrets_key, options_.previous_secrets_key,
                                         *sealed, d.endpoint_id)) {
        secrets.push_back(std::move(*older));
      }
    }
    const int64_t timestamp =
        std::chrono::duration_cast<std::chrono::seconds>(started.time_since_epoch()).count();
    const std::vector<std::pair<std::string, std::string>> headers = {
        {"webhook-id", d.event_id},
        {"webhook-timestamp", std::to_string(timestamp)},
        {"webhook-signature", events::SignWebhook(d.event_id, timestamp, *d.payload, secrets)},
        {"webhook-sequence", std::to_string(d.event_seq)},
        {"webhook-attempt", std::to_string(d.attempts)},
    };
    const http::OutboundResult r =
        http::PostWebhook(*url, *d.payload, headers, policy_, options_.outbound);
    const int status = r.failure == http::OutboundFailure::kNone ? r.status : 0;
    const auto v =
        JudgeAttempt(d.attempts, status, r.retry_after, started, options_.retry, Random01());
    rec.outcome = v.outcome;
    rec.retry_in = v.retry_in;
    rec.endpoint_pause = v.endpoint_pause;
    rec.status_code = status;
    rec.latency_ms = r.latency.count();
    if (r.failure == http::OutboundFailure::kForbiddenAddress) {
      // The detail names the address: kept from the merchant, who would map
      // the service's internal DNS with it, and logged for the operator.
      rec.error = "forbidden_address: the host resolves to an address that is not public";
      log::Warn("webhook endpoint resolves to a forbidden address",
                {{"endpoint", d.endpoint_id}, {"detail", r.detail}});
    } else if (r.failure != http::OutboundFailure::kNone) {
      rec.error = fmt::format("{}: {}", http::ToString(r.failure), r.detail);
    } else if (v.outcome != DeliveryOutcome::kSucceeded) {
      rec.error = fmt::format("the endpoint answered {}", status);
    }
  }
  if (rec.error.size() > 500) rec.error.resize(500);
  auto recorded = db::InTransaction(pool_, [&](db::Connection& conn) -> payments::Result<bool> {
    if (auto relaxed = store::CommitWithoutWaitingForFlush(conn); !relaxed) {
      return std::unexpected(relaxed.error());
    }
    return store::RecordAttempt(conn, rec);
  });
  if (!recorded) {
    std::lock_guard lock(mu_);
    ++stats_.errors;
    log::Warn("a webhook attempt could not be recorded; it is delivered again after its lease",
              {{"delivery", d.id}, {"error", recorded.error().message}});
    return;
  }
  if (!*recorded) {
    std::lock_guard lock(mu_);
    ++stats_.lease_lost;
    return;
  }
  Count(rec.outcome);
  if (rec.outcome == DeliveryOutcome::kGiveUp || rec.outcome == DeliveryOutcome::kGone) {
    log::Info("webhook delivery ended without success", {{"delivery", d.id},
                                                         {"endpoint", d.endpoint_id},
                                                         {"event", d.event_id},
                                                         {"attempts", d.attempts},
                                                         {"outcome", OutcomeWord(rec.outcome)},
                                                         {"error", rec.error}});
  }
}

void WriteWebhookMetrics(const DispatcherStats& s, telemetry::MetricsWriter& w) {
  w.Family("payments_webhook_deliveries_total", "counter",
           "Webhook delivery attempts recorded by this instance, by outcome: succeeded, failed "
           "(will be retried), given_up (after the last retry), gone (410: endpoint disabled), "
           "lease_lost (another instance took it over).");
  const std::pair<const char*, int64_t> outcomes[] = {{"succeeded", s.succeeded},
                                                      {"failed", s.failed},
                                                      {"given_up", s.given_up},
                                                      {"gone", s.gone},
                                                      {"lease_lost", s.lease_lost}};
  for (const auto& [name, value] : outcomes) {
    w.Sample("payments_webhook_deliveries_total", {{"outcome", name}}, static_cast<double>(value));
  }
  w.Family("payments_webhook_running", "gauge", "1 while this instance's dispatcher runs.");
  w.Sample("payments_webhook_running", {}, s.running ? 1 : 0);
  w.Family("payments_webhook_in_flight", "gauge", "Deliveries this instance is attempting now.");
  w.Sample("payments_webhook_in_flight", {}, static_cast<double>(s.in_flight));
  w.Family("payments_webhook_backlog", "gauge",
           "Deliveries pending (due, waiting for a retry or for an earlier event), all endpoints.");
  w.Sample("payments_webhook_backlog", {}, static_cast<double>(s.backlog.pending));
  w.Family("payments_webhook_unrouted_events", "gauge",
           "Committed events not yet turned into deliveries.");
  w.Sample("payments_webhook_unrouted_events", {}, static_cast<double>(s.backlog.unrouted_events));
  w.Family("payments_webhook_routed_events_total", "counter", "Events this instance routed.");
  w.Sample("payments_webhook_routed_events_total", {}, static_cast<double>(s.routed_events));
  w.Family("payments_webhook_errors_total", "counter",
           "Database errors of the webhook dispatcher (retried).");
  w.Sample("payments_webhook_errors_total", {}, static_cast<double>(s.errors));
  std::vector<store::EndpointBacklog> top = s.backlog.endpoints;
  std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
    return a.oldest_age_seconds > b.oldest_age_seconds;
  });
  if (top.size() > 50) top.resize(50);
  w.Family("payments_webhook_endpoint_backlog", "gauge",
           "Deliveries pending per endpoint (the 50 with the oldest).");
  for (const auto& e : top) {
    w.Sample("payments_webhook_endpoint_backlog", {{"endpoint", e.endpoint_id}},
             static_cast<double>(e.pending));
  }
  w.Family("payments_webhook_endpoint_oldest_pending_age_seconds", "gauge",
           "Age of the oldest pending delivery per endpoint (the 50 with the oldest).");
  for (const auto& e : top) {
    w.Sample("payments_webhook_endpoint_oldest_pending_age_seconds", {{"endpoint", e.endpoint_id}},
             e.oldest_age_seconds);
  }
}

}  // namespace payments::service
