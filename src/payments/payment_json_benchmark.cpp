// Micro-benchmarks of how a payment becomes JSON: PaymentToJson(...).dump()
// is the response body and the stored idempotent reply; a created payment is
// also wrapped twice in a CloudEvent (payment.created and payment.captured)
// for the outbox. Run: build/payment_json_benchmark.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "events/cloud_event.h"
#include "payments/payment_json.h"

namespace {

payments::Payment CapturedPayment(bool with_metadata) {
  payments::Payment p;
  p.id = "pay_01jd8k3m6w9q4r2t7v5x0y1z3a";
  p.merchant_id = "mer_01jd8k3m6w9q4r2t7v5x0y1z3b";
  p.amount = 1099;
  p.currency = "usd";
  p.status = payments::PaymentStatus::kCaptured;
  p.amount_captured = 1099;
  p.card = {"visa", "4242", 12, 2030, "3f9a0c6e1b2d4f5a6b7c8d9e0f1a2b3c"};
  p.processor = "sandbox";
  p.processor_reference = "sbx_ch_5Kq1Yc8wP0rT7uVx2Zb4";
  if (with_metadata) {
    p.description = "Order 42";
    p.metadata = {{"order", "42"}, {"customer", "cus_8d7f6e5a"}, {"channel", "web"}};
  }
  p.created = 1764000000;
  return p;
}

void BM_PaymentToJson(benchmark::State& state, bool with_metadata) {
  const payments::Payment p = CapturedPayment(with_metadata);
  for (auto _ : state) {
    benchmark::DoNotOptimize(payments::PaymentToJson(p));
  }
}
BENCHMARK_CAPTURE(BM_PaymentToJson, minimal, false);
BENCHMARK_CAPTURE(BM_PaymentToJson, with_metadata, true);

void BM_PaymentToJsonDump(benchmark::State& state, bool with_metadata) {
  const payments::Payment p = CapturedPayment(with_metadata);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string body = payments::PaymentToJson(p).dump();
    bytes += body.size();
    benchmark::DoNotOptimize(body);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK_CAPTURE(BM_PaymentToJsonDump, minimal, false);
BENCHMARK_CAPTURE(BM_PaymentToJsonDump, with_metadata, true);

// All the serialisation one auto-captured POST /v1/payments does: the object,
// its dump for the reply, and the two outbox events built from it.
void BM_CreatePaymentSerialisation(benchmark::State& state) {
  const payments::Payment p = CapturedPayment(false);
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    std::string reply = payments::PaymentToJson(p).dump();
    auto created =
        payments::events::MakeEventFromJson("payment.created", p.merchant_id, p.id, reply, now);
    auto captured =
        payments::events::MakeEventFromJson("payment.captured", p.merchant_id, p.id, reply, now);
    benchmark::DoNotOptimize(reply);
    benchmark::DoNotOptimize(created);
    benchmark::DoNotOptimize(captured);
  }
}
BENCHMARK(BM_CreatePaymentSerialisation);

void BM_MakeEvent(benchmark::State& state) {
  const payments::Payment p = CapturedPayment(false);
  const nlohmann::ordered_json object = payments::PaymentToJson(p);
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        payments::events::MakeEvent("payment.captured", p.merchant_id, p.id, object, now));
  }
}
BENCHMARK(BM_MakeEvent);

}  // namespace
