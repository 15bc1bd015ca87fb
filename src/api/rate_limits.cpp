#include "api/rate_limits.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>

#include "api/responses.h"

namespace payments::api {
namespace {

// draft-ietf-httpapi-ratelimit-headers: the policy is a quota `q` over a
// window `w` seconds (for a token bucket: the burst, and the time an empty
// bucket takes to fill); the state is `r` requests remaining and `t` seconds
// until the quota is whole again.
std::string PolicyField(std::string_view name, const TokenBucketPolicy& policy) {
  return fmt::format("\"{}\";q={};w={}", name, static_cast<int64_t>(policy.burst),
                     policy.WindowSeconds());
}

std::string StateField(std::string_view name, const TokenBucketDecision& d) {
  return fmt::format("\"{}\";r={};t={}", name, d.remaining, d.reset_seconds);
}

http::Response Refusal(std::string code, std::string message, std::string_view policy_name,
                       const TokenBucketPolicy& policy, const TokenBucketDecision& d) {
  http::Response r =
      FromError(Error::RateLimited(std::move(code), std::move(message), d.retry_after));
  r.SetHeader("RateLimit-Policy", PolicyField(policy_name, policy));
  r.SetHeader("RateLimit", StateField(policy_name, d));
  return r;
}

constexpr std::string_view kPerKey = "per-key";
constexpr std::string_view kAuthFailures = "failed-auth";

}  // namespace

RateLimits::RateLimits(RateLimitOptions options)
    : options_(std::move(options)),
      per_key_(options_.per_key),
      auth_failures_(options_.auth_failures) {}

std::string RateLimits::Client(const http::Request& request) const {
  std::string address = http::ClientAddress(request, options_.trusted_proxies);
  // One IPv6 host usually holds a whole /64 and can take a new address from
  // it for every request: its limit is the network's.
  boost::system::error_code ec;
  const auto parsed = boost::asio::ip::make_address(address, ec);
  if (ec || !parsed.is_v6()) return address;
  auto bytes = parsed.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

std::optional<http::Response> RateLimits::RefuseFailedClient(const std::string& client,
                                                             Clock::time_point now) {
  const TokenBucketDecision d = auth_failures_.Peek(client, now);
  if (d.allowed) return std::nullopt;
  refused_auth_failures_.fetch_add(1, std::memory_order_relaxed);
  return Refusal("too_many_failed_authentications",
                 "Too many requests with an invalid API key from this address; retry later.",
                 kAuthFailures, options_.auth_failures, d);
}

void RateLimits::CountFailure(const std::string& client, Clock::time_point now) {
  failures_.fetch_add(1, std::memory_order_relaxed);
  (void)auth_failures_.Take(client, now);
}

std::optional<http::Response> RateLimits::TakeForKey(
    std::string_view key_id, Clock::time_point now,
    std::vector<std::pair<std::string, std::string>>& headers) {
  if (!options_.per_key.enabled()) return std::nullopt;
  const TokenBucketDecision d = per_key_.Take(key_id, now);
  if (!d.allowed) {
    refused_per_key_.fetch_add(1, std::memory_order_relaxed);
    return Refusal("rate_limited",
                   "Too many requests with this API key; retry after the time in Retry-After.",
                   kPerKey, options_.per_key, d);
  }
  headers.emplace_back("RateLimit-Policy", PolicyField(kPerKey, options_.per_key));
  headers.emplace_back("RateLimit", StateField(kPerKey, d));
  return std::nullopt;
}

void RateLimits::WriteMetrics(telemetry::MetricsWriter& w) const {
  w.Family("payments_rate_limited_total", "counter",
           "Requests refused with 429 by a rate limit of the public listener.");
  w.Sample("payments_rate_limited_total", {{"limit", std::string(kPerKey)}},
           static_cast<double>(refused_per_key_.load(std::memory_order_relaxed)));
  w.Sample("payments_rate_limited_total", {{"limit", std::string(kAuthFailures)}},
           static_cast<double>(refused_auth_failures_.load(std::memory_order_relaxed)));
  w.Family("payments_auth_failures_total", "counter",
           "Requests whose API key did not authenticate.");
  w.Sample("payments_auth_failures_total", {},
           static_cast<double>(failures_.load(std::memory_order_relaxed)));
}

}  // namespace payments::api
