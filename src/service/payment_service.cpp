#include "service/payment_service.h"

#include <fmt/format.h>

#include <ctime>

#include "core/crypto.h"
#include "core/ids.h"
#include "db/batch.h"
#include "db/transaction.h"
#include "events/cloud_event.h"
#include "payments/ledger.h"
#include "payments/payment_json.h"
#include "service/settlement.h"
#include "store/event_store.h"
#include "store/idempotency_store.h"
#include "telemetry/log.h"

namespace payments::service {
namespace {

using Clock = std::chrono::system_clock;

int64_t UnixMillis(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

int64_t UnixMicros(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

YearMonth CurrentYearMonth(Clock::time_point now) {
  const std::time_t t = Clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return YearMonth{tm.tm_year + 1900, tm.tm_mon + 1};
}

Error NoSuchPayment(const std::string& id) {
  return Error::NotFound(fmt::format("No such payment: '{}'", id), "id");
}

// Records the intent of a follow-up (capture, cancel, refund) on the locked
// payment: BEGIN and SELECT … FOR UPDATE in one round trip, then `plan`
// (which changes the payment and adds what else the intent writes), then
// the writes, the interim reply under the key and COMMIT in a second. The
// row lock is held for no processor call: the call comes after the commit.
using Plan =
    std::function<payments::Result<std::pair<Reply, std::vector<db::BatchItem>>>(Payment&)>;

payments::Result<Payment> RecordIntent(db::Pool& pool, const Execution& exec,
                                       const std::string& merchant_id,
                                       const std::string& payment_id, const Plan& plan) {
  auto tx = db::BeginBatch(pool, {store::FindPaymentItem(merchant_id, payment_id, true)});
  if (!tx) return std::unexpected(tx.error());
  std::optional<Payment> found = store::PaymentFromRows(tx->rows[0]);
  if (!found) {
    db::RollbackTransaction(*tx->connection);
    return std::unexpected(NoSuchPayment(payment_id));
  }
  auto planned = plan(*found);
  if (!planned) {
    db::RollbackTransaction(*tx->connection);
    return std::unexpected(planned.error());
  }
  auto& [interim, items] = *planned;
  std::vector<db::BatchItem> all = exec.Store(interim);
  for (auto& item : items) all.push_back(std::move(item));
  auto committed = db::CommitBatch(*tx->connection, std::move(all));
  if (!committed) return std::unexpected(exec.Explain(committed.error()));
  return std::move(*found);
}

}  // namespace

PaymentService::PaymentService(db::Pool& pool, processors::Processor& processor,
                               ServiceOptions options)
    : pool_(pool),
      processor_(processor),
      options_(std::move(options)),
      writes_(pool_, {.max_units = options_.group_commit, .max_in_flight = 2}),
      claims_(
          pool_,
          {.max_units = options_.group_commit, .max_in_flight = 2, .synchronous_commit = false}),
      card_testing_(options_.card_testing) {}

namespace {
std::string KeyedRequestHash(std::string_view key, std::string_view method, std::string_view path,
                             std::string_view canonical_body) {
  return HmacSha256Hex(key, fmt::format("{} {}\n{}", method, path, canonical_body));
}
}  // namespace

std::string PaymentService::RequestHash(std::string_view method, std::string_view path,
                                        std::string_view canonical_body) const {
  return KeyedRequestHash(options_.fingerprint_key, method, path, canonical_body);
}

std::string PaymentService::PreviousRequestHash(std::string_view method, std::string_view path,
                                                std::string_view canonical_body) const {
  if (options_.previous_fingerprint_key.empty()) return "";
  return KeyedRequestHash(options_.previous_fingerprint_key, method, path, canonical_body);
}

void PaymentService::Count(std::string_view outcome) {
  std::lock_guard lock(mu_);
  ++outcomes_[std::string(outcome)];
}

void PaymentService::CountCall(std::string_view operation) {
  std::lock_guard lock(mu_);
  ++calls_[std::string(operation)];
}

PaymentCounters PaymentService::Counters() const {
  const CardTestingCounters card_testing = card_testing_.Counters(std::chrono::steady_clock::now());
  std::lock_guard lock(mu_);
  return PaymentCounters{outcomes_, calls_, card_testing};
}

payments::Result<Reply> PaymentService::CreatePayment(
    const std::string& merchant_id, const CreatePaymentInput& input,
    const std::optional<IdempotencyInput>& idempotency) {
  const Clock::time_point now = Clock::now();
  auto card = ValidateCard(input.card, CurrentYearMonth(now), "payment_method.card");
  if (!card) return std::unexpected(card.error());
  if (gate_) {
    if (auto open = gate_(processor_.name(), merchant_id); !open) {
      Count("refused_processor_disabled");
      return std::unexpected(open.error());
    }
  }
  // Before the idempotency claim: a paused merchant costs no database work,
  // and a 429 is never stored under the key (the retry runs).
  if (auto held = card_testing_.Check(merchant_id, std::chrono::steady_clock::now()); !held) {
    Count("refused_card_testing");
    return std::unexpected(held.error());
  }
  const std::string fingerprint = CardFingerprint(
      options_.fingerprint_key, options_.fingerprint_per_merchant ? merchant_id : "", card->number);

  return RunIdempotent(
      pool_, claims_, merchant_id, idempotency, options_.idempotency_lock,
      [&](const Execution& exec) -> payments::Result<Reply> {
        Payment p;
        p.id = NewId("pay", now);
        p.merchant_id = merchant_id;
        p.amount = input.amount;
        p.currency = std::string(input.currency->code);
        p.status = PaymentStatus::kProcessing;
        p.card = StoredCard{std::string(ToString(card->brand)), card->last4, card->exp_month,
                            card->exp_year, fingerprint};
        p.processor = std::string(processor_.name());
        p.description = input.description;
        p.metadata = input.metadata;
        p.created =
            std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
        // The processor's key is ours, never the merchant's: merchants' keys
        // collide with each other's at one processor.
        p.pending =
            Pending{input.capture ? PendingOperation::kSale : PendingOperation::kAuthorize, p.id,
                    p.amount, exec.input() ? std::optional(exec.input()->key) : std::nullopt};

        // The intent, durable before the call: a crash from here on leaves
        // a processing payment that reconciliation settles, and a retry
        // under the key gets it (202) instead of charging again.
        const Reply interim = InterimPaymentReply(p);
        std::vector<db::BatchItem> intent = exec.Store(interim);
        intent.push_back(
            store::InsertPaymentItem(p, UnixMicros(now), options_.reconcile_after.count()));
        if (auto recorded = writes_.Run(std::move(intent)); !recorded) {
          return std::unexpected(exec.Explain(recorded.error()));  // nothing was called
        }

        processors::AuthorizeRequest request;
        request.payment_id = p.id;
        request.merchant_id = merchant_id;
        request.idempotency_key = p.pending->processor_key;
        request.amount = p.amount;
        request.currency = p.currency;
        request.card = &*card;
        request.capture = input.capture;
        CountCall("authorize");
        const processors::ProcessorResult answer = processor_.Authorize(request);
        if (answer.outcome == processors::ProcessorResult::Outcome::kUnknown) {
          Count("processing");
          return interim;
        }
        Settlement settled = SettleAuthorization(std::move(p), answer, now);
        if (auto written = writes_.Run(std::move(settled.items)); !written) {
          if (store::IsConcurrentlySettled(written.error())) {
            return RecordedReply(exec, settled.reply, settled.payment.id);
          }
          // The answer is not recorded, and the intent is: reconciliation
          // asks the processor again and records it; the key holds the 202.
          Count("settle_deferred");
          log::Warn("could not record the processor's answer; reconciliation will",
                    {{"payment_id", settled.payment.id},
                     {"error", written.error().detail.empty() ? written.error().message
                                                              : written.error().detail}});
          return interim;
        }
        Count(settled.outcome);
        card_testing_.Record(merchant_id, settled.payment.status == PaymentStatus::kFailed,
                             std::chrono::steady_clock::now());
        return settled.reply;
      });
}

payments::Result<Reply> PaymentService::FollowUp(const std::string& merchant_id,
                                                 const std::string& payment_id,
                                                 const std::optional<IdempotencyInput>& idempotency,
                                                 PendingOperation operation,
                                                 std::optional<int64_t> amount) {
  return RunIdempotent(
      pool_, claims_, merchant_id, idempotency, options_.idempotency_lock,
      [&](const Execution& exec) -> payments::Result<Reply> {
        const Clock::time_point now = Clock::now();
        auto p = RecordIntent(
            pool_, exec, merchant_id, payment_id,
            [&](Payment& p) -> payments::Result<std::pair<Reply, std::vector<db::BatchItem>>> {
              int64_t to_move = p.amount;
              if (operation == PendingOperation::kCapture) {
                auto planned = PlanCapture(p, amount);
                if (!planned) return std::unexpected(planned.error());
                to_move = *planned;
              } else if (auto planned = PlanCancel(p); !planned) {
                return std::unexpected(planned.error());
              }
              // A key of its own per attempt: one the processor closed (a
              // look that found nothing) must not refuse the next attempt.
              p.pending = Pending{
                  operation, NewId(operation == PendingOperation::kCapture ? "cap" : "cnl", now),
                  to_move, exec.input() ? std::optional(exec.input()->key) : std::nullopt};
              std::vector<db::BatchItem> items;
              items.push_back(
                  store::UpdatePaymentItem(p, std::nullopt, options_.reconcile_after.count()));
              return std::pair{InterimPaymentReply(p), std::move(items)};
            });
        if (!p) return std::unexpected(p.error());
        const std::string_view name = ToString(operation);
        CountCall(name);
        const processors::FollowUpRequest request{p->id,
                                                  merchant_id,
                                                  p->pending->processor_key,
                                                  p->processor_reference.value_or(""),
                                                  p->pending->amount,
                                                  p->currency};
        const processors::ProcessorResult answer = operation == PendingOperation::kCapture
                                                       ? processor_.Capture(request)
                                                       : processor_.Cancel(request);
        if (answer.outcome == processors::ProcessorResult::Outcome::kUnknown) {
          Count(fmt::format("{}_pending", name));
          return InterimPaymentReply(*p);
        }
        Settlement settled = SettleFollowUp(*p, answer, now);
        if (auto written = db::RunTransactionBatch(pool_, std::move(settled.items)); !written) {
          if (store::IsConcurrentlySettled(written.error())) {
            return RecordedReply(exec, settled.reply, p->id);
          }
          Count("settle_deferred");
          log::Warn("could not record the processor's answer; reconciliation will",
                    {{"payment_id", payment_id},
                     {"operation", name},
                     {"error", written.error().detail.empty() ? written.error().message
                                                              : written.error().detail}});
          return InterimPaymentReply(*p);
        }
        Count(settled.outcome);
        return settled.reply;
      });
}

payments::Result<Reply> PaymentService::CapturePayment(
    const std::string& merchant_id, const std::string& payment_id, std::optional<int64_t> amount,
    const std::optional<IdempotencyInput>& idempotency) {
  return FollowUp(merchant_id, payment_id, idempotency, PendingOperation::kCapture, amount);
}

payments::Result<Reply> PaymentService::CancelPayment(
    const std::string& merchant_id, const std::string& payment_id,
    const std::optional<IdempotencyInput>& idempotency) {
  return FollowUp(merchant_id, payment_id, idempotency, PendingOperation::kCancel, std::nullopt);
}

payments::Result<Reply> PaymentService::RefundPayment(
    const std::string& merchant_id, const std::string& payment_id, const RefundInput& input,
    const std::optional<IdempotencyInput>& idempotency) {
  return RunIdempotent(
      pool_, claims_, merchant_id, idempotency, options_.idempotency_lock,
      [&](const Execution& exec) -> payments::Result<Reply> {
        const Clock::time_point now = Clock::now();
        Refund refund;
        refund.id = NewId("re", now);
        auto p = RecordIntent(
            pool_, exec, merchant_id, payment_id,
            [&](Payment& p) -> payments::Result<std::pair<Reply, std::vector<db::BatchItem>>> {
              auto to_refund = PlanRefund(p, input.amount);
              if (!to_refund) return std::unexpected(to_refund.error());
              ReserveRefund(p, *to_refund);
              refund.payment_id = p.id;
              refund.merchant_id = merchant_id;
              refund.amount = *to_refund;
              refund.currency = p.currency;
              refund.status = RefundStatus::kPending;
              refund.reason = input.reason;
              refund.metadata = input.metadata;
              refund.created =
                  std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
              refund.idempotency_key =
                  exec.input() ? std::optional(exec.input()->key) : std::nullopt;
              std::vector<db::BatchItem> items;
              items.push_back(store::UpdatePaymentItem(p, std::nullopt));
              items.push_back(store::InsertRefundItem(refund, UnixMillis(now),
                                                      options_.reconcile_after.count()));
              return std::pair{InterimRefundReply(refund), std::move(items)};
            });
        if (!p) return std::unexpected(p.error());
        CountCall("refund");
        // The refund's own id is its key at the processor.
        const processors::ProcessorResult answer =
            processor_.Refund({p->id, merchant_id, refund.id, p->processor_reference.value_or(""),
                               refund.amount, p->currency});
        if (answer.outcome == processors::ProcessorResult::Outcome::kUnknown) {
          Count("refund_pending");
          return InterimRefundReply(refund);
        }
        auto settled = SettleRefundNow(merchant_id, payment_id, refund, answer, now);
        if (!settled && store::IsConcurrentlySettled(settled.error())) {
          return RecordedReply(exec, InterimRefundReply(refund), refund.id);
        }
        if (!settled) {
          Count("settle_deferred");
          log::Warn("could not record the processor's answer; reconciliation will",
                    {{"refund_id", refund.id},
                     {"error", settled.error().detail.empty() ? settled.error().message
                                                              : settled.error().detail}});
          return InterimRefundReply(refund);
        }
        return *settled;
      });
}

payments::Result<Reply> PaymentService::SettleRefundNow(const std::string& merchant_id,
                                                        const std::string& payment_id,
                                                        const Refund& refund,
                                                        const processors::ProcessorResult& answer,
                                                        Clock::time_point now) {
  // The payment as it is now: other refunds may have settled meanwhile.
  auto tx = db::BeginBatch(pool_, {store::FindPaymentItem(merchant_id, payment_id, true)});
  if (!tx) return std::unexpected(tx.error());
  std::optional<Payment> found = store::PaymentFromRows(tx->rows[0]);
  if (!found) {
    db::RollbackTransaction(*tx->connection);
    return std::unexpected(NoSuchPayment(payment_id));
  }
  RefundSettlement settled = SettleRefundCall(std::move(*found), refund, answer, now);
  auto written = db::CommitBatch(*tx->connection, std::move(settled.items));
  if (!written) return std::unexpected(written.error());
  Count(settled.outcome);
  return settled.reply;
}

Reply PaymentService::RecordedReply(const Execution& exec, const Reply& ours,
                                    const std::string& id) {
  // Reconciliation (or an operator) recorded this call's answer first: the
  // merchant gets what was recorded, the same a retry under the key gets.
  Count("settled_concurrently");
  if (exec.input()) {
    auto stored = db::Read(pool_, [&](db::Connection& conn) {
      return store::FindStoredReply(conn, exec.merchant_id(), exec.input()->key);
    });
    if (stored && *stored) {
      if ((*stored)->status != ours.status) {
        log::Warn("the processor's answer differs from what was recorded for it",
                  {{"id", id}, {"recorded", (*stored)->status}, {"answered", ours.status}});
      }
      return Reply{(*stored)->status, (*stored)->body, false};
    }
  }
  // No key: what the answer says; GET shows what was recorded.
  return ours;
}

payments::Result<Payment> PaymentService::GetPayment(const std::string& merchant_id,
                                                     const std::string& payment_id) {
  auto found = db::Read(pool_, [&](db::Connection& conn) {
    return store::FindPayment(conn, merchant_id, payment_id, false);
  });
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::unexpected(NoSuchPayment(payment_id));
  return std::move(**found);
}

payments::Result<store::PaymentPage> PaymentService::ListPayments(
    const std::string& merchant_id, const store::PaymentFilter& filter, int limit,
    const std::optional<std::string>& starting_after) {
  return db::Read(pool_, [&](db::Connection& conn) {
    return store::ListPayments(conn, merchant_id, filter, limit, starting_after);
  });
}

payments::Result<Refund> PaymentService::GetRefund(const std::string& merchant_id,
                                                   const std::string& refund_id) {
  auto found = db::Read(
      pool_, [&](db::Connection& conn) { return store::FindRefund(conn, merchant_id, refund_id); });
  if (!found) return std::unexpected(found.error());
  if (!*found) {
    return std::unexpected(Error::NotFound(fmt::format("No such refund: '{}'", refund_id), "id"));
  }
  return std::move(**found);
}

payments::Result<store::RefundPage> PaymentService::ListRefunds(
    const std::string& merchant_id, const std::optional<std::string>& payment_id, int limit,
    const std::optional<std::string>& starting_after) {
  return db::Read(pool_, [&](db::Connection& conn) {
    return store::ListRefunds(conn, merchant_id, payment_id, limit, starting_after);
  });
}

payments::Result<std::map<std::string, int64_t>> PaymentService::Balance(
    const std::string& merchant_id) {
  return db::Read(pool_,
                  [&](db::Connection& conn) { return store::MerchantBalance(conn, merchant_id); });
}

}  // namespace payments::service
