// What one delivery attempt's answer means (docs/webhooks.md, "Retries"):
//   2xx                  delivered;
//   410                  the endpoint is gone: it is disabled and the delivery
//                        given up;
//   anything else        (another status, a 3xx — redirects are not followed —,
//                        no answer, a refused address) a failure, retried on
//                        the schedule with jitter, and given up after its last
//                        step; on 429 and 503 a Retry-After is honoured: the
//                        retry and the whole endpoint wait at least that long.
// And how long an endpoint's circuit stays open after failures in a row.
// Pure; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "store/webhook_store.h"

namespace payments::service {

struct WebhookRetryOptions {
  // Delays after the 1st, 2nd, … failed attempt; the delivery is given up
  // when the attempt after the last step fails. About three days in all.
  std::vector<std::chrono::milliseconds> schedule = {
      std::chrono::seconds(5), std::chrono::minutes(5), std::chrono::minutes(30),
      std::chrono::hours(2),   std::chrono::hours(5),   std::chrono::hours(10),
      std::chrono::hours(10),  std::chrono::hours(24),  std::chrono::hours(24)};
  double jitter = 0.2;  // each delay is drawn from [d·(1−jitter), d·(1+jitter)]
  std::chrono::milliseconds retry_after_max = std::chrono::hours(24);
  // After this many failures in a row the endpoint's circuit opens for
  // breaker_base·2^(n−threshold), at most breaker_max, and then lets one
  // delivery through at a time until one succeeds.
  int breaker_threshold = 5;
  std::chrono::milliseconds breaker_base = std::chrono::seconds(30);
  std::chrono::milliseconds breaker_max = std::chrono::hours(1);
};

inline constexpr std::string_view kDefaultWebhookSchedule = "5s,5m,30m,2h,5h,10h,10h,1d,1d";

// Retry-After as delta-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2026
// 07:28:00 GMT"), from now, at least 0; nullopt when it is neither.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

struct AttemptVerdict {
  store::DeliveryOutcome outcome = store::DeliveryOutcome::kSucceeded;
  std::chrono::milliseconds retry_in{0};        // kRetry
  std::chrono::milliseconds endpoint_pause{0};  // from Retry-After
};

// `attempt` counts this one (1 for the first). `status` 0: no HTTP answer.
// `random01` in [0, 1) draws the jitter.
AttemptVerdict JudgeAttempt(int attempt, int status, std::string_view retry_after,
                            std::chrono::system_clock::time_point now,
                            const WebhookRetryOptions& options, double random01);

}  // namespace payments::service
