// The payment and refund domain: the objects, the state machine and the
// rules for capture, cancel and refund. Pure; no I/O. Values are
// thread-compatible.
//
//   (creation) --> processing --> authorized | captured | failed
//   authorized --capture--> captured --refund--> partially_refunded --> refunded
//   authorized --cancel---> canceled
//
// A payment is `processing` from the moment its intent is recorded until the
// processor's answer is (docs/payment-states.md draws every transition). A
// capture or cancel whose answer is not known yet leaves the payment in its
// status with a Pending operation; a refund whose answer is not known is a
// `pending` refund whose amount is reserved (amount_refund_pending). While an
// operation is pending, no other capture or cancel may start (409
// payment_outcome_pending); refunds may, within what is neither refunded nor
// reserved.
//
// Partial capture releases the rest of the authorization. Refunds never exceed
// what was captured, in total, counting those still pending.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace payments {

enum class PaymentStatus {
  kProcessing,
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

// A processor call made for a payment (the authorization, a capture or a
// cancel) whose answer is not recorded yet: the intent, committed before the
// call, and what reconciliation needs to ask the processor about it.
// kSale: an authorization captured at once.
enum class PendingOperation { kAuthorize, kSale, kCapture, kCancel };
std::string_view ToString(PendingOperation op);
std::optional<PendingOperation> ParsePendingOperation(std::string_view text);

struct Pending {
  PendingOperation operation = PendingOperation::kAuthorize;
  std::string processor_key;  // the call's idempotency key at the processor
  int64_t amount = 0;         // what the call moves (a capture's amount)
  // The merchant's Idempotency-Key of the request that started it, whose
  // stored reply reconciliation brings up to date.
  std::optional<std::string> idempotency_key;
};

struct Payment {
  std::string id;
  std::string merchant_id;
  int64_t amount = 0;
  std::string currency;  // lower case
  PaymentStatus status = PaymentStatus::kAuthorized;
  int64_t amount_captured = 0;
  int64_t amount_refunded = 0;
  int64_t amount_refund_pending = 0;  // refunds whose outcome is not known yet
  std::optional<Pending> pending;
  StoredCard card;
  std::string processor;
  std::optional<std::string> processor_reference;
  std::optional<std::string> failure_code;
  std::optional<std::string> failure_message;
  std::optional<std::string> description;
  Metadata metadata;
  int64_t created = 0;  // Unix seconds
};

enum class RefundStatus { kPending, kSucceeded, kFailed };
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
  // The merchant's Idempotency-Key of the request (see Pending).
  std::optional<std::string> idempotency_key;
};

// The amount a capture takes: `requested` or, when absent, the whole
// authorization. Fails when the payment is not authorized (409) or the amount
// is out of range (400, param "amount").
payments::Result<int64_t> PlanCapture(const Payment& payment, std::optional<int64_t> requested);
// Fails unless the payment is authorized (409).
payments::Status PlanCancel(const Payment& payment);
// The amount a refund returns: `requested` or, when absent, what is left.
// Fails when nothing captured is left to refund (409) or the amount is too
// large (400, param "amount"); pending refunds count as refunded.
payments::Result<int64_t> PlanRefund(const Payment& payment, std::optional<int64_t> requested);

// Apply a planned change. They assert the plan was made first.
void ApplyCapture(Payment& payment, int64_t amount);
void ApplyCancel(Payment& payment);
// A refund's amount is reserved when its intent is recorded, then settled:
// refunded when the processor did it, released when it did not.
void ReserveRefund(Payment& payment, int64_t amount);
void SettleRefund(Payment& payment, int64_t amount, bool succeeded);

}  // namespace payments
