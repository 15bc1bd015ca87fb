#include "service/settlement.h"

#include <fmt/format.h>

#include <cassert>

#include "core/ids.h"
#include "core/json_text.h"
#include "events/cloud_event.h"
#include "payments/ledger.h"
#include "payments/payment_json.h"
#include "store/event_store.h"
#include "store/idempotency_store.h"
#include "store/payment_store.h"

namespace payments::service {
namespace {

using Clock = std::chrono::system_clock;
using Outcome = processors::ProcessorResult::Outcome;

int64_t UnixMillis(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

events::Event PaymentEvent(std::string_view type, const Payment& p, std::string_view data_json,
                           Clock::time_point now) {
  return events::MakeEventFromJson(type, p.merchant_id, p.id, data_json, now);
}

// Follow-up calls (capture, cancel, refund) that the processor refused.
Error ProcessorRefused(const processors::ProcessorResult& r, std::string_view action) {
  if (r.outcome == Outcome::kDeclined) return Error::Of(ErrorKind::kCard, r.code, r.message);
  return Error::Of(ErrorKind::kCard, "processing_error",
                   fmt::format("The processor could not {} the payment: {}", action, r.message));
}

// The interim reply under the merchant's key, brought up to date.
void ReplaceReply(std::vector<db::BatchItem>& items, const std::string& merchant_id,
                  const std::optional<std::string>& idempotency_key, const Reply& reply) {
  if (!idempotency_key) return;
  items.push_back(
      store::ReplaceInterimReplyItem(merchant_id, *idempotency_key, reply.status, reply.body));
}

}  // namespace

Reply InterimPaymentReply(const Payment& payment) {
  return Reply{202, DumpJson(PaymentToJson(payment)), false};
}

Reply InterimRefundReply(const Refund& refund) {
  return Reply{202, DumpJson(RefundToJson(refund)), false};
}

Settlement SettleAuthorization(Payment p, const processors::ProcessorResult& answer,
                               Clock::time_point now) {
  assert(p.pending && answer.outcome != Outcome::kUnknown);
  const Pending pending = *p.pending;
  p.pending.reset();
  std::string_view event_type;
  if (answer.outcome == Outcome::kApproved) {
    p.processor_reference = answer.reference;
    if (pending.operation == PendingOperation::kSale) {
      p.status = PaymentStatus::kCaptured;
      p.amount_captured = p.amount;
      event_type = "payment.captured";
    } else {
      p.status = PaymentStatus::kAuthorized;
      event_type = "payment.authorized";
    }
  } else {
    p.status = PaymentStatus::kFailed;
    p.failure_code = answer.code.empty() ? "processing_error" : answer.code;
    p.failure_message = answer.message;
    event_type = "payment.failed";
  }
  Settlement out;
  // One dump serves the reply and both events.
  const std::string object = DumpJson(PaymentToJson(p));
  out.reply = p.status == PaymentStatus::kFailed ? DeclineReply(p) : Reply{200, object, false};
  out.items.push_back(store::UpdatePaymentItem(p, pending.processor_key));
  if (p.status == PaymentStatus::kCaptured) {
    out.items.push_back(
        store::InsertLedgerEntryItem({NewId("je", now), p.merchant_id, p.id, std::nullopt,
                                      "capture", CapturePostings(p.currency, p.amount)},
                                     UnixMillis(now)));
  }
  out.items.push_back(store::InsertEventsItem(
      {PaymentEvent("payment.created", p, object, now), PaymentEvent(event_type, p, object, now)}));
  ReplaceReply(out.items, p.merchant_id, pending.idempotency_key, out.reply);
  out.outcome = ToString(p.status);
  out.payment = std::move(p);
  return out;
}

Settlement SettleFollowUp(Payment p, const processors::ProcessorResult& answer,
                          Clock::time_point now) {
  assert(p.pending && answer.outcome != Outcome::kUnknown);
  const Pending pending = *p.pending;
  p.pending.reset();
  const bool capture = pending.operation == PendingOperation::kCapture;
  Settlement out;
  if (answer.outcome == Outcome::kApproved) {
    std::string_view event_type;
    if (capture) {
      ApplyCapture(p, pending.amount);
      event_type = "payment.captured";
    } else {
      ApplyCancel(p);
      event_type = "payment.canceled";
    }
    const std::string object = DumpJson(PaymentToJson(p));
    out.reply = Reply{200, object, false};
    out.items.push_back(store::UpdatePaymentItem(p, pending.processor_key));
    if (capture) {
      out.items.push_back(
          store::InsertLedgerEntryItem({NewId("je", now), p.merchant_id, p.id, std::nullopt,
                                        "capture", CapturePostings(p.currency, p.amount_captured)},
                                       UnixMillis(now)));
    }
    out.items.push_back(store::InsertEventsItem({PaymentEvent(event_type, p, object, now)}));
    out.outcome = capture ? "captured" : "canceled";
  } else {
    out.reply = ErrorReply(ProcessorRefused(answer, capture ? "capture" : "cancel"));
    out.items.push_back(store::UpdatePaymentItem(p, pending.processor_key));
    out.outcome = capture ? "capture_refused" : "cancel_refused";
  }
  ReplaceReply(out.items, p.merchant_id, pending.idempotency_key, out.reply);
  out.payment = std::move(p);
  return out;
}

RefundSettlement SettleRefundCall(Payment p, Refund refund,
                                  const processors::ProcessorResult& answer,
                                  Clock::time_point now) {
  assert(refund.status == RefundStatus::kPending && answer.outcome != Outcome::kUnknown);
  const bool ok = answer.outcome == Outcome::kApproved;
  SettleRefund(p, refund.amount, ok);
  RefundSettlement out;
  out.items.push_back(store::UpdatePaymentItem(
      p, p.pending ? std::optional<std::string>(p.pending->processor_key) : std::nullopt));
  if (ok) {
    refund.status = RefundStatus::kSucceeded;
    refund.processor_reference = answer.reference;
    const std::string refund_object = DumpJson(RefundToJson(refund));
    out.reply = Reply{200, refund_object, false};
    out.items.push_back(store::SettleRefundItem(refund));
    out.items.push_back(
        store::InsertLedgerEntryItem({NewId("je", now), p.merchant_id, p.id, refund.id, "refund",
                                      RefundPostings(p.currency, refund.amount)},
                                     UnixMillis(now)));
    out.items.push_back(store::InsertEventsItem(
        {PaymentEvent("refund.created", p, refund_object, now),
         PaymentEvent("payment.refunded", p, DumpJson(PaymentToJson(p)), now)}));
    out.outcome = "refunded";
  } else {
    refund.status = RefundStatus::kFailed;
    refund.failure_code = answer.code.empty() ? "processing_error" : answer.code;
    out.reply = ErrorReply(ProcessorRefused(answer, "refund"));
    out.items.push_back(store::SettleRefundItem(refund));
    out.outcome = "refund_failed";
  }
  ReplaceReply(out.items, p.merchant_id, refund.idempotency_key, out.reply);
  out.payment = std::move(p);
  out.refund = std::move(refund);
  return out;
}

}  // namespace payments::service
