// The use cases of the payments API, one function per operation. The HTTP
// handlers parse and validate; these decide, record the intent of each
// processor call (committed before the call, so that a crash leaves
// something reconciliation finds: docs/payment-states.md), call the
// processor outside any transaction, then record its answer — payment,
// ledger postings, events and the idempotency record together
// (service/settlement.h). An answer that does not come leaves the call
// pending: the reply is 202 with the payment (or refund) as it stands, the
// same reply a retry under the Idempotency-Key gets until the answer is
// recorded, and the final reply after.
//
// Thread-safe: handlers on many workers call one PaymentService.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/error.h"
#include "core/money.h"
#include "db/group_commit.h"
#include "db/pool.h"
#include "payments/card.h"
#include "payments/payment.h"
#include "processors/processor.h"
#include "service/card_testing_guard.h"
#include "service/idempotency.h"
#include "service/reply.h"
#include "store/payment_store.h"

namespace payments::service {

struct CreatePaymentInput {
  int64_t amount = 0;
  const Currency* currency = nullptr;
  CardInput card;
  bool capture = true;
  std::optional<std::string> description;
  Metadata metadata;
};

struct RefundInput {
  std::optional<int64_t> amount;
  std::optional<std::string> reason;
  Metadata metadata;
};

struct ServiceOptions {
  std::chrono::milliseconds idempotency_lock{30'000};
  int group_commit = 64;        // requests per shared transaction; 1: each its own
  std::string fingerprint_key;  // HMAC key for card fingerprints and request hashes
  // The key before a rotation: a retry of a request made under it still
  // finds its idempotency record (docs/security.md, "Fingerprint key").
  std::string previous_fingerprint_key{};
  // Fingerprints scoped per merchant (the default) or one scope for all.
  bool fingerprint_per_merchant = true;
  CardTestingOptions card_testing{};
  // When reconciliation first asks the processor about a call whose answer
  // was not recorded: past the call's own deadline, so that it never races
  // a call still in flight.
  std::chrono::milliseconds reconcile_after{30'000};
};

// Outcome counters for /metrics.
struct PaymentCounters {
  std::map<std::string, int64_t> by_outcome;       // "captured", "authorized", "failed", ...
  std::map<std::string, int64_t> processor_calls;  // "authorize", "capture", "cancel", "refund"
  CardTestingCounters card_testing;
};

// Decides whether a processor may be called now for this merchant (the kill
// switch). Returns an error to fail fast without calling it.
using ProcessorGate =
    std::function<payments::Status(std::string_view processor, std::string_view merchant_id)>;

class PaymentService {
 public:
  PaymentService(db::Pool& pool, processors::Processor& processor, ServiceOptions options);
  PaymentService(const PaymentService&) = delete;
  PaymentService& operator=(const PaymentService&) = delete;

  void SetProcessorGate(ProcessorGate gate) { gate_ = std::move(gate); }

  payments::Result<Reply> CreatePayment(const std::string& merchant_id,
                                        const CreatePaymentInput& input,
                                        const std::optional<IdempotencyInput>& idempotency);
  payments::Result<Reply> CapturePayment(const std::string& merchant_id,
                                         const std::string& payment_id,
                                         std::optional<int64_t> amount,
                                         const std::optional<IdempotencyInput>& idempotency);
  payments::Result<Reply> CancelPayment(const std::string& merchant_id,
                                        const std::string& payment_id,
                                        const std::optional<IdempotencyInput>& idempotency);
  payments::Result<Reply> RefundPayment(const std::string& merchant_id,
                                        const std::string& payment_id, const RefundInput& input,
                                        const std::optional<IdempotencyInput>& idempotency);

  payments::Result<Payment> GetPayment(const std::string& merchant_id,
                                       const std::string& payment_id);
  payments::Result<store::PaymentPage> ListPayments(
      const std::string& merchant_id, const store::PaymentFilter& filter, int limit,
      const std::optional<std::string>& starting_after);
  // 404 resource_missing for an unknown id or another merchant's refund.
  payments::Result<Refund> GetRefund(const std::string& merchant_id, const std::string& refund_id);
  payments::Result<store::RefundPage> ListRefunds(const std::string& merchant_id,
                                                  const std::optional<std::string>& payment_id,
                                                  int limit,
                                                  const std::optional<std::string>& starting_after);
  payments::Result<std::map<std::string, int64_t>> Balance(const std::string& merchant_id);

  // The keyed hash that identifies a request for idempotency (never the raw body).
  std::string RequestHash(std::string_view method, std::string_view path,
                          std::string_view canonical_body) const;
  // The same under the previous key; empty when there is none.
  std::string PreviousRequestHash(std::string_view method, std::string_view path,
                                  std::string_view canonical_body) const;

  PaymentCounters Counters() const;
  db::GroupCommitStats WriteGroupStats() const { return writes_.Stats(); }
  db::GroupCommitStats ClaimGroupStats() const { return claims_.Stats(); }

 private:
  // Capture or cancel: the intent, the call, the answer.
  payments::Result<Reply> FollowUp(const std::string& merchant_id, const std::string& payment_id,
                                   const std::optional<IdempotencyInput>& idempotency,
                                   PendingOperation operation, std::optional<int64_t> amount);
  // The reply a request gives when its call was settled by someone else
  // first (reconciliation, an operator): the one stored under its key.
  Reply RecordedReply(const Execution& exec, const Reply& ours, const std::string& id);
  // Records a refund's answer against its payment as locked now.
  payments::Result<Reply> SettleRefundNow(const std::string& merchant_id,
                                          const std::string& payment_id, const Refund& refund,
                                          const processors::ProcessorResult& answer,
                                          std::chrono::system_clock::time_point now);
  void Count(std::string_view outcome);
  void CountCall(std::string_view operation);

  db::Pool& pool_;
  processors::Processor& processor_;
  const ServiceOptions options_;
  // The effects of created payments, which depend on nothing but their own
  // claim, share transactions (db/group_commit.h), and so do idempotency
  // claims, in transactions of their own that do not wait for the flush.
  db::GroupCommitter writes_;
  db::GroupCommitter claims_;
  ProcessorGate gate_;
  CardTestingGuard card_testing_;

  mutable std::mutex mu_;
  std::map<std::string, int64_t> outcomes_;
  std::map<std::string, int64_t> calls_;
};

}  // namespace payments::service
