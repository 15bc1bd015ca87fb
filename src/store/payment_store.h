// Payments, refunds and the ledger in PostgreSQL. Every function takes the
// caller's connection, so a use case composes them inside one transaction.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/connection.h"
#include "payments/ledger.h"
#include "payments/payment.h"

namespace payments::store {

// created_us: creation time in Unix microseconds. Payments list newest first
// by it, so it must tell apart two payments one client creates one after the
// other; within one millisecond they would tie, and the tie goes by id.
payments::Status InsertPayment(db::Connection& conn, const Payment& payment, int64_t created_us);
// The merchant's payment, or nullopt for an unknown id or another merchant's.
// for_update locks the row until the transaction ends.
payments::Result<std::optional<Payment>> FindPayment(db::Connection& conn,
                                                     const std::string& merchant_id,
                                                     const std::string& id, bool for_update);

struct PaymentPage {
  std::vector<Payment> payments;
  bool has_more = false;
};
// What GET /v1/payments narrows the list to; every part optional.
struct PaymentFilter {
  std::optional<PaymentStatus> status;
  std::optional<int64_t> created_gte;  // Unix seconds, inclusive
  std::optional<int64_t> created_lt;   // Unix seconds, exclusive
};
// Newest first. starting_after must be one of the merchant's payments
// (400 resource_missing with param "starting_after" otherwise); the page
// continues after it, the filter applied as on the first page.
payments::Result<PaymentPage> ListPayments(db::Connection& conn, const std::string& merchant_id,
                                           const PaymentFilter& filter, int limit,
                                           const std::optional<std::string>& starting_after);

payments::Status InsertRefund(db::Connection& conn, const Refund& refund, int64_t created_ms);

// The merchant's refund, or nullopt for an unknown id or another merchant's.
payments::Result<std::optional<Refund>> FindRefund(db::Connection& conn,
                                                   const std::string& merchant_id,
                                                   const std::string& id);

struct RefundPage {
  std::vector<Refund> refunds;
  bool has_more = false;
};
// Newest first, all the merchant's or one payment's (payment_id). A payment
// or a starting_after that is not the merchant's is 400 resource_missing
// naming "payment" or "starting_after".
payments::Result<RefundPage> ListRefunds(db::Connection& conn, const std::string& merchant_id,
                                         const std::optional<std::string>& payment_id, int limit,
                                         const std::optional<std::string>& starting_after);

// One journal entry and its postings, in one statement.
struct LedgerEntry {
  std::string id;  // je_…
  std::string merchant_id;
  std::string payment_id;
  std::optional<std::string> refund_id;
  std::string kind;  // "capture", "refund"
  std::vector<Posting> postings;
};
payments::Status InsertLedgerEntry(db::Connection& conn, const LedgerEntry& entry,
                                   int64_t created_ms);

// The merchant's available balance per currency: the negated sum of its
// merchant_balance postings.
payments::Result<std::map<std::string, int64_t>> MerchantBalance(db::Connection& conn,
                                                                 const std::string& merchant_id);

// The same writes and the lookup as batch items, for db::BeginBatch and
// db::CommitBatch (several statements per round trip).
// A payment with a Pending call is due for reconciliation reconcile_after_ms
// from now (the call's own deadline, and a margin).
db::BatchItem InsertPaymentItem(const Payment& payment, int64_t created_us,
                                int64_t reconcile_after_ms = 0);
// Fails the transaction (IsConcurrentlySettled) unless the row's pending
// call's key is still `settles` (nullopt: none pending): a call is settled
// once, by the request that made it or by reconciliation, never both.
db::BatchItem UpdatePaymentItem(const Payment& payment, const std::optional<std::string>& settles,
                                int64_t reconcile_after_ms = 0);
// A pending refund is due for reconciliation reconcile_after_ms from now.
db::BatchItem InsertRefundItem(const Refund& refund, int64_t created_ms,
                               int64_t reconcile_after_ms = 0);
// Writes a pending refund's outcome; fails like UpdatePaymentItem unless it
// was still pending.
db::BatchItem SettleRefundItem(const Refund& refund);
bool IsConcurrentlySettled(const Error& error);
db::BatchItem InsertLedgerEntryItem(const LedgerEntry& entry, int64_t created_ms);
db::BatchItem FindPaymentItem(const std::string& merchant_id, const std::string& id,
                              bool for_update);
// The payment in the rows of FindPaymentItem, or nullopt when there was none.
std::optional<Payment> PaymentFromRows(const db::Rows& rows);

// --- Reconciliation (service/reconciler.h) -----------------------------------

struct DuePayment {
  Payment payment;  // payment.pending is set
  int attempts = 0;
  bool exhausted = false;  // no automatic attempt left: an operator's
};
struct DueRefund {
  Refund refund;  // status pending
  int attempts = 0;
  bool exhausted = false;
};
// Pending calls whose next look is due, oldest first.
payments::Result<std::vector<DuePayment>> DuePayments(db::Connection& conn, int limit);
payments::Result<std::vector<DueRefund>> DueRefunds(db::Connection& conn, int limit);
// Every pending call, due or not, oldest first (`payments reconcile list`).
payments::Result<std::vector<DuePayment>> UnsettledPayments(db::Connection& conn, int limit);
payments::Result<std::vector<DueRefund>> UnsettledRefunds(db::Connection& conn, int limit);
// One more attempt made: the next in after_ms, or none (nullopt) when the
// schedule is spent.
payments::Status ReschedulePayment(db::Connection& conn, const std::string& payment_id,
                                   const std::string& pending_key, std::optional<int64_t> after_ms);
payments::Status RescheduleRefund(db::Connection& conn, const std::string& refund_id,
                                  std::optional<int64_t> after_ms);
// Any merchant's payment with a pending call, or pending refund, by id
// (reconciliation and operators); nullopt when there is none.
payments::Result<std::optional<DuePayment>> FindUnsettledPayment(db::Connection& conn,
                                                                 const std::string& id);
payments::Result<std::optional<DueRefund>> FindUnsettledRefund(db::Connection& conn,
                                                               const std::string& id);
// A settlement report's view of one payment (service/settlement_report.h):
// what the ledger says moved for it, net (captured less refunded, from its
// processor_receivable postings).
struct LedgerPaymentNet {
  std::string payment_id;
  std::string merchant_id;
  std::string currency;
  std::string processor_reference;
  int64_t ledger_net = 0;
};
// Payments the processor made something of (a reference), changed at or
// after since_unix, by id after `after_id` ("" to start); at most limit.
payments::Result<std::vector<LedgerPaymentNet>> LedgerNetsSince(db::Connection& conn,
                                                                int64_t since_unix,
                                                                const std::string& after_id,
                                                                int limit);

// The reconciler's session-level advisory lock: one active per database
// (taken again on each run, which holds it once more: it goes with the
// session).
inline constexpr int64_t kReconcileLockKey = 0x7061792d7265636f;  // "pay-reco"
payments::Result<bool> TryAcquireReconcileLock(db::Connection& conn);

}  // namespace payments::store
