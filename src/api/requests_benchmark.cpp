// Micro-benchmarks of what the service does to every POST /v1/payments body
// before it touches the database: parse it into a JSON object (with the depth
// limit), validate it into CreatePaymentInput, and the canonical dump() that
// the idempotency request hash is taken over. Run: build/requests_benchmark.
#include <benchmark/benchmark.h>

#include <string>

#include "api/requests.h"
#include "http/json_body.h"

namespace {

// What the load generator of bench/run sends: the documented example body.
constexpr std::string_view kMinimalBody =
    R"({"amount":1099,"currency":"usd","payment_method":{"card":{"number":"4242424242424242",)"
    R"("exp_month":12,"exp_year":2030,"cvc":"123"}}})";

constexpr std::string_view kFullBody =
    R"({"amount": 1099, "currency": "usd",
 "payment_method": {"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}},
 "capture": true, "description": "Order 42",
 "metadata": {"order": "42", "customer": "cus_8d7f6e5a", "channel": "web", "cart": "3 items"}})";

void BM_ParseJsonObject(benchmark::State& state, std::string_view body) {
  for (auto _ : state) {
    auto parsed = payments::http::ParseJsonObject(body);
    if (!parsed) state.SkipWithError("body did not parse");
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK_CAPTURE(BM_ParseJsonObject, minimal, kMinimalBody);
BENCHMARK_CAPTURE(BM_ParseJsonObject, with_metadata, kFullBody);

void BM_ParseCreatePayment(benchmark::State& state, std::string_view body) {
  const auto object = payments::http::ParseJsonObject(body);
  if (!object) {
    state.SkipWithError("body did not parse");
    return;
  }
  for (auto _ : state) {
    auto input = payments::api::ParseCreatePayment(*object);
    if (!input) state.SkipWithError("body did not validate");
    benchmark::DoNotOptimize(input);
  }
}
BENCHMARK_CAPTURE(BM_ParseCreatePayment, minimal, kMinimalBody);
BENCHMARK_CAPTURE(BM_ParseCreatePayment, with_metadata, kFullBody);

// Both steps together, as CreatePayment's handler runs them, plus the
// canonical dump() the handler hashes for the Idempotency-Key check.
void BM_ParseValidateAndCanonicalise(benchmark::State& state, std::string_view body) {
  for (auto _ : state) {
    auto object = payments::http::ParseJsonObject(body);
    if (!object) state.SkipWithError("body did not parse");
    std::string canonical = object->dump();
    auto input = payments::api::ParseCreatePayment(*object);
    if (!input) state.SkipWithError("body did not validate");
    benchmark::DoNotOptimize(canonical);
    benchmark::DoNotOptimize(input);
  }
}
BENCHMARK_CAPTURE(BM_ParseValidateAndCanonicalise, minimal, kMinimalBody);
BENCHMARK_CAPTURE(BM_ParseValidateAndCanonicalise, with_metadata, kFullBody);

void BM_ParseCapture(benchmark::State& state) {
  const auto object = payments::http::ParseJsonObject("{}");
  for (auto _ : state) {
    auto amount = payments::api::ParseCapture(*object);
    benchmark::DoNotOptimize(amount);
  }
}
BENCHMARK(BM_ParseCapture);

void BM_ValidateIdempotencyKey(benchmark::State& state) {
  const std::string key = "bench-1732470000-1-000000123456";
  for (auto _ : state) {
    auto ok = payments::api::ValidateIdempotencyKey(key);
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_ValidateIdempotencyKey);

}  // namespace
