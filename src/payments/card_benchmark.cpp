// Micro-benchmarks of the card checks every POST /v1/payments runs: the Luhn
// checksum, the brand from the IIN, the whole ValidateCard, and the keyed
// fingerprint (HMAC-SHA-256) that is stored instead of the number.
// Run: build/card_benchmark.
#include <benchmark/benchmark.h>

#include <string>

#include "payments/card.h"

namespace {

constexpr payments::YearMonth kNow{2026, 11};

void BM_LuhnValid(benchmark::State& state, std::string number) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(payments::LuhnValid(number));
  }
}
BENCHMARK_CAPTURE(BM_LuhnValid, visa16, std::string("4242424242424242"));
BENCHMARK_CAPTURE(BM_LuhnValid, amex15, std::string("378282246310005"));
BENCHMARK_CAPTURE(BM_LuhnValid, max19, std::string("6200000000000000005"));

void BM_BrandOf(benchmark::State& state, std::string number) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(payments::BrandOf(number));
  }
}
BENCHMARK_CAPTURE(BM_BrandOf, visa, std::string("4242424242424242"));
BENCHMARK_CAPTURE(BM_BrandOf, unionpay, std::string("6200000000000005"));

void BM_ValidateCard(benchmark::State& state, std::string number, std::string cvc) {
  const payments::CardInput input{number, 12, 2030, cvc};
  for (auto _ : state) {
    auto card = payments::ValidateCard(input, kNow, "payment_method.card");
    if (!card) state.SkipWithError("card did not validate");
    benchmark::DoNotOptimize(card);
  }
}
BENCHMARK_CAPTURE(BM_ValidateCard, visa, std::string("4242424242424242"), std::string("123"));
BENCHMARK_CAPTURE(BM_ValidateCard, amex, std::string("378282246310005"), std::string("1234"));

void BM_ValidateCardRejected(benchmark::State& state) {
  const payments::CardInput input{"4242424242424241", 12, 2030, std::string("123")};
  for (auto _ : state) {
    auto card = payments::ValidateCard(input, kNow, "payment_method.card");
    benchmark::DoNotOptimize(card);
  }
}
BENCHMARK(BM_ValidateCardRejected);

void BM_CardFingerprint(benchmark::State& state) {
  const std::string key(32, 'k');
  for (auto _ : state) {
    benchmark::DoNotOptimize(payments::CardFingerprint(key, "mer_bench", "4242424242424242"));
  }
}
BENCHMARK(BM_CardFingerprint);

}  // namespace
