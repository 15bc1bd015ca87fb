// The repository's own schemas: they pass the check CI runs, and the events
// the service builds for every type validate against them.
#include <gtest/gtest.h>

#include "events/cloud_event.h"
#include "events/event_types.h"
#include "events/schema_registry.h"
#include "payments/payment_json.h"

namespace payments::events {
namespace {

const std::string kDir = std::string(PAYMENTS_SOURCE_DIR) + "/schemas/events";

Payment SamplePayment(PaymentStatus status) {
  Payment p;
  p.id = "pay_01jd8k3m6w9q4r2t7v5x0y1z3a";
  p.merchant_id = "mer_01jd8k3m6w9q4r2t7v5x0y1z3a";
  p.amount = 2500;
  p.currency = "eur";
  p.status = status;
  p.amount_captured = status == PaymentStatus::kAuthorized ? 0 : 2500;
  p.amount_refunded = status == PaymentStatus::kPartiallyRefunded ? 500 : 0;
  p.card = {.brand = "visa",
            .last4 = "4242",
            .exp_month = 12,
            .exp_year = 2030,
            .fingerprint = "9f86d081884c7d65"};
  p.processor = "sandbox";
  p.description = "order 1";
  p.metadata = {{"order", "1"}};
  p.created = 1764000000;
  if (status == PaymentStatus::kFailed) {
    p.failure_code = "card_declined";
    p.failure_message = "The card was declined.";
  }
  return p;
}

Refund SampleRefund() {
  Refund r;
  r.id = "re_01jd8k3m6w9q4r2t7v5x0y1z3b";
  r.payment_id = "pay_01jd8k3m6w9q4r2t7v5x0y1z3a";
  r.amount = 500;
  r.currency = "eur";
  r.created = 1764000100;
  return r;
}

Event Sample(std::string_view type, PaymentStatus status) {
  const Payment p = SamplePayment(status);
  const nlohmann::ordered_json data =
      type == kRefundCreated ? RefundToJson(SampleRefund()) : PaymentToJson(p);
  return MakeEvent(type, p.merchant_id, p.id, data);
}

TEST(EventSchemasTest, TheRepositorySchemasPassTheCheckCiRuns) {
  auto files = ReadSchemaDirectory(kDir);
  ASSERT_TRUE(files) << files.error().message;
  auto lock = ReadSchemaLock(kDir);
  ASSERT_TRUE(lock) << lock.error().message;
  const SchemaCheck check = CheckSchemas(*files, *lock, kEventTypes, kCurrentSchemaVersion);
  EXPECT_TRUE(check.ok()) << ::testing::PrintToString(check.problems);
  EXPECT_EQ(check.types, static_cast<int>(kEventTypes.size()));
}

TEST(EventSchemasTest, EveryEventTypeTheServiceBuildsIsValid) {
  auto registry = SchemaRegistry::Load(kDir);
  ASSERT_TRUE(registry) << registry.error().message;
  const std::pair<std::string_view, PaymentStatus> cases[] = {
      {kPaymentCreated, PaymentStatus::kAuthorized},
      {kPaymentCreated, PaymentStatus::kCaptured},
      {kPaymentCreated, PaymentStatus::kFailed},
      {kPaymentAuthorized, PaymentStatus::kAuthorized},
      {kPaymentCaptured, PaymentStatus::kCaptured},
      {kPaymentFailed, PaymentStatus::kFailed},
      {kPaymentCanceled, PaymentStatus::kCanceled},
      {kPaymentRefunded, PaymentStatus::kRefunded},
      {kPaymentRefunded, PaymentStatus::kPartiallyRefunded},
      {kRefundCreated, PaymentStatus::kPartiallyRefunded},
  };
  for (const auto& [type, status] : cases) {
    const Event e = Sample(type, status);
    EXPECT_EQ(registry->Validate(e.payload), std::vector<std::string>{}) << e.payload;
  }
}

TEST(EventSchemasTest, SchemasCatchAnEventThatDriftedFromThem) {
  auto registry = SchemaRegistry::Load(kDir);
  ASSERT_TRUE(registry);
  // A payment.captured event whose payment is still authorized, which carries
  // a field no schema describes, and whose amount became a string.
  Payment p = SamplePayment(PaymentStatus::kAuthorized);
  nlohmann::ordered_json data = PaymentToJson(p);
  data["card"]["number"] = "4242424242424242";
  data["amount"] = "2500";
  const Event e = MakeEvent(kPaymentCaptured, p.merchant_id, p.id, data);
  EXPECT_EQ(
      registry->Validate(e.payload),
      (std::vector<std::string>{"/data/amount: expected integer, got string",
                                "/data/card: the property \"number\" is not allowed",
                                "/data/status: \"authorized\" is not one of [\"captured\"]"}));
  EXPECT_EQ(registry->Validate(R"({"dataschema":"/schemas/events/payment.nope/v1.json"})"),
            std::vector<std::string>{"no schema /schemas/events/payment.nope/v1.json"});
}

}  // namespace
}  // namespace payments::events
