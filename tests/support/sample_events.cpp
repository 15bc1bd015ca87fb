#include "support/sample_events.h"

#include <gtest/gtest.h>

#include "core/ids.h"
#include "events/event_types.h"
#include "events/schema_registry.h"
#include "payments/payment_json.h"

namespace payments::testing {
namespace {

PaymentStatus StatusFor(std::string_view type) {
  if (type == events::kPaymentAuthorized) return PaymentStatus::kAuthorized;
  if (type == events::kPaymentFailed) return PaymentStatus::kFailed;
  if (type == events::kPaymentCanceled) return PaymentStatus::kCanceled;
  if (type == events::kPaymentRefunded || type == events::kRefundCreated) {
    return PaymentStatus::kPartiallyRefunded;
  }
  return PaymentStatus::kCaptured;  // payment.created with capture, payment.captured
}

}  // namespace

events::Event SampleEvent(std::string_view type, const std::string& merchant_id,
                          const std::string& payment_id, std::chrono::system_clock::time_point at,
                          std::optional<PaymentStatus> status) {
  const int64_t created =
      std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  if (type == events::kRefundCreated) {
    Refund r;
    r.id = NewId("re", at);
    r.payment_id = payment_id;
    r.merchant_id = merchant_id;
    r.amount = 500;
    r.currency = "eur";
    r.created = created;
    return events::MakeEvent(type, merchant_id, payment_id, RefundToJson(r), at);
  }
  Payment p;
  p.id = payment_id;
  p.merchant_id = merchant_id;
  p.amount = 2500;
  p.currency = "eur";
  p.status = status.value_or(StatusFor(type));
  p.amount_captured = p.status == PaymentStatus::kAuthorized ||
                              p.status == PaymentStatus::kCanceled ||
                              p.status == PaymentStatus::kFailed
                          ? 0
                          : 2500;
  p.amount_refunded = p.status == PaymentStatus::kPartiallyRefunded ? 500 : 0;
  p.card = {.brand = "visa",
            .last4 = "4242",
            .exp_month = 12,
            .exp_year = 2030,
            .fingerprint = "9f86d081884c7d65"};
  p.processor = "sandbox";
  p.metadata = {{"order", "1"}};
  p.created = created;
  if (p.status == PaymentStatus::kFailed) {
    p.failure_code = "card_declined";
    p.failure_message = "The card was declined.";
  }
  return events::MakeEvent(type, merchant_id, payment_id, PaymentToJson(p), at);
}

std::vector<std::string> SchemaViolations(const std::string& payload) {
  static const auto registry =
      events::SchemaRegistry::Load(std::string(PAYMENTS_SOURCE_DIR) + "/schemas/events");
  if (!registry) return {"cannot load the schemas: " + registry.error().message};
  return registry->Validate(payload);
}

void InsertMerchant(db::Connection& conn, const std::string& merchant_id) {
  auto r = conn.Exec("INSERT INTO merchants (id, name) VALUES ($1, 'test shop')",
                     db::Params().Add(merchant_id));
  if (!r) ADD_FAILURE() << "insert merchant: " << r.error().detail;
}

}  // namespace payments::testing
