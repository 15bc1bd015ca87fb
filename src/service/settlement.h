// Recording a processor's answer to a pending call (payments/payment.h,
// Pending): what the payment (or refund) becomes, the ledger postings and
// events that go with it, and the reply the merchant's request gets — the
// same whether the request that made the call records it or reconciliation
// does (service/reconciler.h) after the answer was lost. Pure: the caller
// runs the items in one transaction.
//
// Each Settle* takes the payment (or refund) as it stands with the call
// pending and an answer that is not kUnknown. Thread-compatible.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "db/connection.h"
#include "payments/payment.h"
#include "processors/processor.h"
#include "service/reply.h"

namespace payments::service {

struct Settlement {
  Payment payment;                   // as recorded
  Reply reply;                       // what the request that made the call answers
  std::vector<db::BatchItem> items;  // the writes, the interim reply's replacement among them
  std::string outcome;               // for counters: "captured", "authorized", "failed", ...
};

// The authorization (or sale) of a `processing` payment.
Settlement SettleAuthorization(Payment payment, const processors::ProcessorResult& answer,
                               std::chrono::system_clock::time_point now);
// A capture or cancel pending on the payment.
Settlement SettleFollowUp(Payment payment, const processors::ProcessorResult& answer,
                          std::chrono::system_clock::time_point now);

struct RefundSettlement {
  Payment payment;
  Refund refund;
  Reply reply;
  std::vector<db::BatchItem> items;
  std::string outcome;  // "refunded", "refund_failed"
};
// A pending refund, against its payment as locked now (other refunds may
// have settled since this one was reserved).
RefundSettlement SettleRefundCall(Payment payment, Refund refund,
                                  const processors::ProcessorResult& answer,
                                  std::chrono::system_clock::time_point now);

// The interim reply of a request whose call has no known answer yet: 202
// with the payment (or refund) as it stands.
Reply InterimPaymentReply(const Payment& payment);
Reply InterimRefundReply(const Refund& refund);

}  // namespace payments::service
