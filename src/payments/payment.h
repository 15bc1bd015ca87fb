// The payment and refund domain: the objects, the state machine and the
// rules for capture, cancel and refund. Pure; no I/O. Values are
// thread-compatible.
//
//   authorized --capture--> captured --refund--> partially_refunded --> refunded
//   authorized --cancel---> canceled
//   (creation)  ---------> failed      (declined or a processor error)
//
// Partial capture releases the rest of the authorization. Refunds never exceed
// what was captured, in total.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace payments {

enum class PaymentStatus {
  kAuthorized,
  kCaptured,
  kPartiallyRefunded,
  kRefunded,
  kCanceled,
  kFailed
};

std::string_view ToString(PaymentStatus status);
std::optional<PaymentStatus> ParsePaymentStatus(std::string_view text);

using Metadata = std::map<std::string, std::string>;

struct StoredCard {
  std::string brand;
  std::string last4;
  int exp_month = 0;
  int exp_year = 0;
  std::string fingerprint;
};

struct Payment {
  std::string id;
  std::string merchant_id;
  int64_t amount = 0;
  std::string currency;  // lower case
  PaymentStatus status = PaymentStatus::kAuthorized;
  int64_t amount_captured = 0;
  int64_t amount_refunded = 0;
  StoredCard card;
  std::string processor;
  std::optional<std::string> processor_reference;
  std::optional<std::string> failure_code;
  std::optional<std::string> failure_message;
  std::optional<std::string> description;
  Metadata metadata;
  int64_t created = 0;  // Unix seconds
};

enum class RefundStatus { kSucceeded, kFailed };
std::string_view ToString(RefundStatus status);
std::optional<RefundStatus> ParseRefundStatus(std::string_view text);

struct Refund {
  std::string id;
  std::string payment_id;
  std::string merchant_id;
  int64_t amount = 0;
  std::string currency;
  RefundStatus status = RefundStatus::kSucceeded;
  std::optional<std::string> reason;
  std::optional<std::string> processor_reference;
  std::optional<std::string> failure_code;
  Metadata metadata;
  int64_t created = 0;
};

// The amount a capture takes: `requested` or, when absent, the whole
// authorization. Fails when the payment is not authorized (409) or the amount
// is out of range (400, param "amount").
payments::Result<int64_t> PlanCapture(const Payment& payment, std::optional<int64_t> requested);
// Fails unless the payment is authorized (409).
payments::Status PlanCancel(const Payment& payment);
// The amount a refund returns: `requested` or, when absent, what is left.
// Fails when nothing captured is left to refund (409) or the amount is too
// large (400, param "amount").
payments::Result<int64_t> PlanRefund(const Payment& payment, std::optional<int64_t> requested);

// Apply a planned change. They assert the plan was made first.
void ApplyCapture(Payment& payment, int64_t amount);
void ApplyCancel(Payment& payment);
void ApplyRefund(Payment& payment, int64_t amount);

}  // namespace payments
