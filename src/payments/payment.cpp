#include "payments/payment.h"

#include <fmt/format.h>

#include <cassert>

#include "core/money.h"

namespace payments {
namespace {

Error Unexpected(const Payment& p, std::string_view action, std::string_view needs) {
  return Error::StateConflict(
      "payment_unexpected_state",
      fmt::format("This payment has status {}; {} needs a payment that is {}.", ToString(p.status),
                  action, needs));
}

// A capture or cancel whose answer is not known, or a payment still being
// authorized: nothing else may start on it until that is settled.
payments::Status NothingPending(const Payment& p, std::string_view action) {
  if (p.status == PaymentStatus::kProcessing || p.pending) {
    const std::string_view op = p.pending ? ToString(p.pending->operation) : "authorize";
    return std::unexpected(Error::StateConflict(
        "payment_outcome_pending",
        fmt::format("The outcome of this payment's {} is not known yet; it is being reconciled "
                    "with the processor. Retry the {} once the payment shows it.",
                    op, action)));
  }
  return {};
}

}  // namespace

std::string_view ToString(PendingOperation op) {
  switch (op) {
    case PendingOperation::kAuthorize:
      return "authorize";
    case PendingOperation::kSale:
      return "sale";
    case PendingOperation::kCapture:
      return "capture";
    case PendingOperation::kCancel:
      return "cancel";
  }
  return "authorize";
}

std::optional<PendingOperation> ParsePendingOperation(std::string_view text) {
  for (PendingOperation op : {PendingOperation::kAuthorize, PendingOperation::kSale,
                              PendingOperation::kCapture, PendingOperation::kCancel}) {
    if (ToString(op) == text) return op;
  }
  return std::nullopt;
}

std::string_view ToString(PaymentStatus status) {
  switch (status) {
    case PaymentStatus::kProcessing:
      return "processing";
    case PaymentStatus::kAuthorized:
      return "authorized";
    case PaymentStatus::kCaptured:
      return "captured";
    case PaymentStatus::kPartiallyRefunded:
      return "partially_refunded";
    case PaymentStatus::kRefunded:
      return "refunded";
    case PaymentStatus::kCanceled:
      return "canceled";
    case PaymentStatus::kFailed:
      return "failed";
  }
  return "failed";
}

std::optional<PaymentStatus> ParsePaymentStatus(std::string_view text) {
  for (PaymentStatus s :
       {PaymentStatus::kProcessing, PaymentStatus::kAuthorized, PaymentStatus::kCaptured,
        PaymentStatus::kPartiallyRefunded, PaymentStatus::kRefunded, PaymentStatus::kCanceled,
        PaymentStatus::kFailed}) {
    if (ToString(s) == text) return s;
  }
  return std::nullopt;
}

std::string_view ToString(RefundStatus status) {
  switch (status) {
    case RefundStatus::kPending:
      return "pending";
    case RefundStatus::kSucceeded:
      return "succeeded";
    case RefundStatus::kFailed:
      return "failed";
  }
  return "failed";
}

std::optional<RefundStatus> ParseRefundStatus(std::string_view text) {
  for (RefundStatus s : {RefundStatus::kPending, RefundStatus::kSucceeded, RefundStatus::kFailed}) {
    if (ToString(s) == text) return s;
  }
  return std::nullopt;
}

payments::Result<int64_t> PlanCapture(const Payment& p, std::optional<int64_t> requested) {
  if (auto clear = NothingPending(p, "capture"); !clear) return std::unexpected(clear.error());
  if (p.status != PaymentStatus::kAuthorized) {
    return std::unexpected(Unexpected(p, "capture", "authorized"));
  }
  const int64_t amount = requested.value_or(p.amount);
  if (amount < 1) {
    return std::unexpected(Error::InvalidRequest("parameter_invalid_integer",
                                                 "amount must be a positive integer.", "amount"));
  }
  if (amount > p.amount) {
    return std::unexpected(Error::InvalidRequest(
        "amount_too_large",
        fmt::format("amount ({}) exceeds the authorized amount ({}).", amount, p.amount),
        "amount"));
  }
  return amount;
}

payments::Status PlanCancel(const Payment& p) {
  if (auto clear = NothingPending(p, "cancel"); !clear) return clear;
  if (p.status != PaymentStatus::kAuthorized) {
    return std::unexpected(Unexpected(p, "cancel", "authorized (captured payments are refunded)"));
  }
  return {};
}

payments::Result<int64_t> PlanRefund(const Payment& p, std::optional<int64_t> requested) {
  if (auto clear = NothingPending(p, "refund"); !clear) return std::unexpected(clear.error());
  if (p.status == PaymentStatus::kRefunded) {
    return std::unexpected(Error::StateConflict("charge_already_refunded",
                                                "This payment has already been refunded in full."));
  }
  if (p.status != PaymentStatus::kCaptured && p.status != PaymentStatus::kPartiallyRefunded) {
    return std::unexpected(Unexpected(p, "a refund", "captured"));
  }
  const int64_t remaining = p.amount_captured - p.amount_refunded - p.amount_refund_pending;
  if (remaining < 1) {
    return std::unexpected(Error::StateConflict(
        "refund_pending", "What is left of this payment is reserved by refunds still pending."));
  }
  const int64_t amount = requested.value_or(remaining);
  if (amount < 1) {
    return std::unexpected(Error::InvalidRequest("parameter_invalid_integer",
                                                 "amount must be a positive integer.", "amount"));
  }
  if (amount > remaining) {
    return std::unexpected(Error::InvalidRequest(
        "amount_too_large",
        fmt::format("amount ({}) exceeds what is left to refund ({}).", amount, remaining),
        "amount"));
  }
  return amount;
}

void ApplyCapture(Payment& p, int64_t amount) {
  assert(p.status == PaymentStatus::kAuthorized && amount >= 1 && amount <= p.amount);
  p.amount_captured = amount;
  p.status = PaymentStatus::kCaptured;
}

void ApplyCancel(Payment& p) {
  assert(p.status == PaymentStatus::kAuthorized);
  p.status = PaymentStatus::kCanceled;
}

void ReserveRefund(Payment& p, int64_t amount) {
  assert(amount >= 1 && p.amount_refunded + p.amount_refund_pending + amount <= p.amount_captured);
  p.amount_refund_pending += amount;
}

void SettleRefund(Payment& p, int64_t amount, bool succeeded) {
  assert(amount >= 1 && amount <= p.amount_refund_pending);
  p.amount_refund_pending -= amount;
  if (!succeeded) return;
  p.amount_refunded += amount;
  p.status = p.amount_refunded == p.amount_captured ? PaymentStatus::kRefunded
                                                    : PaymentStatus::kPartiallyRefunded;
}

}  // namespace payments
