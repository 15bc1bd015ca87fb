// The public listener's rate limits (docs/security.md, "Rate limits"):
//   - per API key, a token bucket: past it, 429 with Retry-After;
//   - failed authentication per client address: a client that sent too many
//     wrong keys gets 429 before its next key is even looked up, so guessing
//     costs the service no database query.
// Every merchant response carries the IETF RateLimit and RateLimit-Policy
// fields of its key's bucket (draft-ietf-httpapi-ratelimit-headers).
//
// Each instance keeps its own buckets (in memory): behind a load balancer of
// N instances a key gets N times the rate. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/token_bucket.h"
#include "http/client_address.h"
#include "http/message.h"
#include "telemetry/metrics.h"

namespace payments::api {

struct RateLimitOptions {
  TokenBucketPolicy per_key{.rate = 1000, .burst = 2000};
  TokenBucketPolicy auth_failures{.rate = 1, .burst = 20};  // per client address
  http::TrustedProxies trusted_proxies;
};

class RateLimits {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimits(RateLimitOptions options);
  RateLimits(const RateLimits&) = delete;
  RateLimits& operator=(const RateLimits&) = delete;

  // The address limits key this request by (http/client_address.h); for
  // IPv6, its /64.
  std::string Client(const http::Request& request) const;

  // A 429 when `client` has no failed authentication left; nullopt to go on.
  std::optional<http::Response> RefuseFailedClient(const std::string& client,
                                                   Clock::time_point now);
  // A key that did not authenticate, from `client`.
  void CountFailure(const std::string& client, Clock::time_point now);

  // Takes a token from the key's bucket (`key_id`: a digest of the key, never
  // the key): a 429 when it is empty, else nullopt and `headers` set to the
  // RateLimit fields the response carries.
  std::optional<http::Response> TakeForKey(
      std::string_view key_id, Clock::time_point now,
      std::vector<std::pair<std::string, std::string>>& headers);

  void WriteMetrics(telemetry::MetricsWriter& w) const;

 private:
  RateLimitOptions options_;
  KeyedTokenBuckets per_key_;
  KeyedTokenBuckets auth_failures_;
  std::atomic<int64_t> refused_per_key_{0};
  std::atomic<int64_t> refused_auth_failures_{0};
  std::atomic<int64_t> failures_{0};
};

}  // namespace payments::api
