// Micro-benchmark of what the rate limits add to every merchant request
// before its handler (api/rate_limits.h, PublicApi::ForMerchant): the client
// address, the peek at its failed-authentication bucket, the key's SHA-256,
// a token from the key's bucket and its two RateLimit fields; and the
// card-testing guard's check and record on a create. Run:
// build/rate_limits_benchmark.
#include <benchmark/benchmark.h>

#include <string>

#include "api/rate_limits.h"
#include "core/crypto.h"
#include "service/card_testing_guard.h"

namespace {

payments::http::Request MerchantRequest() {
  payments::http::Request r;
  r.method = "POST";
  r.path = "/v1/payments";
  r.remote_address = "127.0.0.1:51234";
  r.headers = {{"authorization", "Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dc4eC39HqL"},
               {"content-type", "application/json"},
               {"idempotency-key", "bench-1"}};
  return r;
}

void BM_RateLimitsPerMerchantRequest(benchmark::State& state) {
  payments::api::RateLimits limits({});
  const payments::http::Request req = MerchantRequest();
  const std::string key = "sk_test_4eC39HqLyjWDarjtT1zdp7dc4eC39HqL";
  for (auto _ : state) {
    const auto now = std::chrono::steady_clock::now();
    const std::string client = limits.Client(req);
    auto refused = limits.RefuseFailedClient(client, now);
    const std::string digest = payments::Sha256Hex(key);
    std::vector<std::pair<std::string, std::string>> headers;
    auto limited = limits.TakeForKey(digest, now, headers);
    benchmark::DoNotOptimize(refused);
    benchmark::DoNotOptimize(limited);
    benchmark::DoNotOptimize(headers);
  }
}
BENCHMARK(BM_RateLimitsPerMerchantRequest);

void BM_CardTestingGuardOnACreate(benchmark::State& state) {
  payments::service::CardTestingGuard guard({});
  const std::string merchant = "mer_0123456789abcdef01234567";
  for (auto _ : state) {
    const auto now = std::chrono::steady_clock::now();
    auto held = guard.Check(merchant, now);
    guard.Record(merchant, false, now);
    benchmark::DoNotOptimize(held);
  }
}
BENCHMARK(BM_CardTestingGuardOnACreate);

}  // namespace
