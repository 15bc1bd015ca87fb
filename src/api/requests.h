// Parses and validates the JSON bodies and query strings of the v1 API into
// the use cases' inputs. Strict: unknown fields, wrong types, floats for
// amounts, unknown currencies are 400 invalid_request_error naming the
// parameter in dotted form ("payment_method.card.exp_month"). Card checks
// (Luhn, expiry) happen in the use case. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/error.h"
#include "service/payment_service.h"

namespace payments::api {

payments::Result<service::CreatePaymentInput> ParseCreatePayment(const nlohmann::json& body);
// {"amount": N} or {}.
payments::Result<std::optional<int64_t>> ParseCapture(const nlohmann::json& body);
// {} only.
payments::Status ParseCancel(const nlohmann::json& body);
payments::Result<service::RefundInput> ParseRefund(const nlohmann::json& body);

struct ListParams {
  int limit = 10;
  std::optional<std::string> starting_after;
};
payments::Result<ListParams> ParseListParams(std::string_view query);

// GET /v1/payments: the page and status, created[gte], created[lt] (Unix
// seconds; gte inclusive, lt exclusive).
struct PaymentListParams {
  ListParams page;
  store::PaymentFilter filter;
};
payments::Result<PaymentListParams> ParsePaymentListParams(std::string_view query);

// GET /v1/refunds: the page and payment (one payment's refunds).
struct RefundListParams {
  ListParams page;
  std::optional<std::string> payment;
};
payments::Result<RefundListParams> ParseRefundListParams(std::string_view query);

// An Idempotency-Key header: 1–255 printable ASCII characters.
payments::Status ValidateIdempotencyKey(std::string_view key);

}  // namespace payments::api
