// Micro-benchmarks of the hashing and randomness on every paying request:
// SHA-256 of the API key (Authenticate, before its cache lookup), HMAC of the
// canonical body (the idempotency request hash) and of the card number (the
// fingerprint), the random claim token, and the ids of the payment, the
// ledger entry and the events. Run: build/crypto_benchmark.
#include <benchmark/benchmark.h>

#include <string>

#include "core/crypto.h"
#include "core/ids.h"

namespace {

void BM_Sha256HexApiKey(benchmark::State& state) {
  const std::string key = "sk_test_" + std::string(32, 'a');
  for (auto _ : state) benchmark::DoNotOptimize(payments::Sha256Hex(key));
}
BENCHMARK(BM_Sha256HexApiKey);

void BM_HmacSha256HexRequest(benchmark::State& state) {
  const std::string key(32, 'k');
  const std::string canonical =
      "POST /v1/payments\n"
      R"({"amount":1099,"currency":"usd","payment_method":{"card":{"cvc":"123","exp_month":12,)"
      R"("exp_year":2030,"number":"4242424242424242"}}})";
  for (auto _ : state) benchmark::DoNotOptimize(payments::HmacSha256Hex(key, canonical));
}
BENCHMARK(BM_HmacSha256HexRequest);

void BM_RandomBase62Token(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(payments::RandomBase62(24));
}
BENCHMARK(BM_RandomBase62Token);

void BM_NewId(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(payments::NewId("pay"));
}
BENCHMARK(BM_NewId);

}  // namespace
