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

// Follow-up calls (capture, cancel, refund) that the processor refuses.
Error ProcessorRefused(const processors::ProcessorResult& r, std::string_view action) {
  if (r.outcome == processors::ProcessorResult::Outcome::kDeclined) {
    return Error::Of(ErrorKind::kCard, r.code, r.message);
  }
  return Error::Of(ErrorKind::kCard, "processing_error",
                   fmt::format("The processor could not {} the payment: {}", action, r.message));
}

// data_json is the object as the reply carries it: serialized once for both.
events::Event PaymentEvent(std::string_view type, const Payment& p, std::string_view data_json,
                           Clock::time_point now) {
  return events::MakeEventFromJson(type, p.merchant_id, p.id, data_json, now);
}

// The events of one change, written by one statement in commit order.
db::BatchItem EventsItem(std::vector<events::Event> events) {
  return store::InsertEventsItem(events);
}

// Runs a follow-up (capture, cancel, refund) on a locked payment: BEGIN and
// SELECT … FOR UPDATE in one round trip, then `decide` (which may call the
// processor while the row lock serialises every change to this payment), then
// its writes, the idempotency record and COMMIT in a second round trip.
using Decision = payments::Result<std::pair<Reply, std::vector<db::BatchItem>>>;

payments::Result<Reply> OnLockedPayment(db::Pool& pool, const Execution& exec,
                                        const std::string& merchant_id,
                                        const std::string& payment_id,
                                        const std::function<Decision(Payment&)>& decide) {
  auto tx = db::BeginBatch(pool, {store::FindPaymentItem(merchant_id, payment_id, true)});
  if (!tx) return std::unexpected(tx.error());
  std::optional<Payment> found = store::PaymentFromRows(tx->rows[0]);
  if (!found) {
    db::RollbackTransaction(*tx->connection);
    return std::unexpected(NoSuchPayment(payment_id));
  }
  auto decision = decide(*found);
  if (!decision) {
    db::RollbackTransaction(*tx->connection);
    return std::unexpected(decision.error());
  }
  auto& [reply, items] = *decision;
  std::vector<db::BatchItem> all = exec.Store(reply);
  for (auto& item : items) all.push_back(std::move(item));
  auto committed = db::CommitBatch(*tx->connection, std::move(all));
  if (!committed) return std::unexpected(exec.Explain(committed.error()));
  return reply;
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
        p.card = StoredCard{std::string(ToString(card->brand)), card->last4, card->exp_month,
                            card->exp_year, fingerprint};
        p.processor = std::string(processor_.name());
        p.description = input.description;
        p.metadata = input.metadata;
        p.created =
            std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();

        processors::AuthorizeRequest request;
        request.payment_id = p.id;
        request.merchant_id = merchant_id;
        request.idempotency_key = exec.input() ? exec.input()->key : p.id;
        request.amount = p.amount;
        request.currency = p.currency;
        request.card = &*card;
        request.capture = input.capture;
        CountCall("authorize");
        const processors::ProcessorResult result = processor_.Authorize(request);

        std::string_view event_type;
        if (result.outcome == processors::ProcessorResult::Outcome::kApproved) {
          p.processor_reference = result.reference;
          if (input.capture) {
            p.status = PaymentStatus::kCaptured;
            p.amount_captured = p.amount;
            event_type = "payment.captured";
          } else {
            p.status = PaymentStatus::kAuthorized;
            event_type = "payment.authorized";
          }
        } else {
          p.status = PaymentStatus::kFailed;
          p.failure_code = result.code;
          p.failure_message = result.message;
          event_type = "payment.failed";
        }
        // One dump serves the reply and both events.
        const std::string object = PaymentToJson(p).dump();
        const Reply reply =
            p.status == PaymentStatus::kFailed ? DeclineReply(p) : Reply{200, object, false};

        const int64_t created_ms = UnixMillis(now);
        std::vector<db::BatchItem> items = exec.Store(reply);
        items.push_back(store::InsertPaymentItem(p, UnixMicros(now)));
        if (p.status == PaymentStatus::kCaptured) {
          items.push_back(
              store::InsertLedgerEntryItem({NewId("je", now), merchant_id, p.id, std::nullopt,
                                            "capture", CapturePostings(p.currency, p.amount)},
                                           created_ms));
        }
        items.push_back(EventsItem({PaymentEvent("payment.created", p, object, now),
                                    PaymentEvent(event_type, p, object, now)}));
        auto committed = writes_.Run(std::move(items));
        if (!committed) {
          if (result.outcome != processors::ProcessorResult::Outcome::kApproved) {
            return std::unexpected(exec.Explain(committed.error()));
          }
          return std::unexpected(VoidUnrecorded(exec, p, committed.error()));
        }
        Count(ToString(p.status));
        card_testing_.Record(merchant_id, p.status == PaymentStatus::kFailed,
                             std::chrono::steady_clock::now());
        return reply;
      });
}

Error PaymentService::VoidUnrecorded(const Execution& exec, const Payment& p,
                                     const Error& write_error) {
  // The processor approved, and the payment's row did not commit. Money must
  // not stay moved without a record: void the authorization (same-day, before
  // settlement, a sale voids too) under a key derived from the payment's, so
  // a repeated void is the same void.
  CountCall("void");
  const processors::ProcessorResult voided = processor_.Cancel(
      {p.id, p.merchant_id, (exec.input() ? exec.input()->key : p.id) + ":void-unrecorded",
       p.processor_reference.value_or(""), p.amount, p.currency});
  const nlohmann::ordered_json fields = {
      {"payment_id", p.id},
      {"merchant_id", p.merchant_id},
      {"processor_reference", p.processor_reference.value_or("")},
      {"amount", p.amount},
      {"currency", p.currency},
      {"write_error", write_error.detail.empty() ? write_error.message : write_error.detail}};
  if (voided.outcome == processors::ProcessorResult::Outcome::kApproved) {
    Count("voided_unrecorded");
    log::Warn("payment not recorded; its authorization was voided", fields);
    Error e = Error::Unavailable(
        "The payment could not be recorded, and its authorization was voided at the processor: "
        "no money moved. Retry the request.",
        write_error.detail);
    e.code = "payment_not_recorded";
    return e;
  }
  Count("outcome_unknown");
  nlohmann::ordered_json failed = fields;
  failed["void_error"] = voided.message;
  log::Error("payment authorized, not recorded, and not voided: reconcile it", failed);
  Error e = Error::Of(ErrorKind::kOutcomeUnknown, "payment_outcome_unknown",
                      fmt::format("The card was authorized but the payment could not be recorded, "
                                  "and voiding the authorization failed. Do not retry: payment {} "
                                  "must be reconciled.",
                                  p.id));
  e.detail = write_error.detail;
  return e;
}

payments::Result<Reply> PaymentService::CapturePayment(
    const std::string& merchant_id, const std::string& payment_id, std::optional<int64_t> amount,
    const std::optional<IdempotencyInput>& idempotency) {
  return RunIdempotent(
      pool_, claims_, merchant_id, idempotency, options_.idempotency_lock,
      [&](const Execution& exec) -> payments::Result<Reply> {
        const Clock::time_point now = Clock::now();
        auto reply =
            OnLockedPayment(pool_, exec, merchant_id, payment_id, [&](Payment& p) -> Decision {
              auto to_capture = PlanCapture(p, amount);
              if (!to_capture) return std::unexpected(to_capture.error());
              CountCall("capture");
              const processors::ProcessorResult result = processor_.Capture(
                  {p.id, merchant_id, exec.input() ? exec.input()->key : NewId("cap", now),
                   p.processor_reference.value_or(""), *to_capture, p.currency});
              if (result.outcome != processors::ProcessorResult::Outcome::kApproved) {
                return std::unexpected(ProcessorRefused(result, "capture"));
              }
              ApplyCapture(p, *to_capture);
              const std::string object = PaymentToJson(p).dump();
              std::vector<db::BatchItem> items;
              items.push_back(store::UpdatePaymentItem(p));
              items.push_back(store::InsertLedgerEntryItem(
                  {NewId("je", now), merchant_id, p.id, std::nullopt, "capture",
                   CapturePostings(p.currency, p.amount_captured)},
                  UnixMillis(now)));
              items.push_back(EventsItem({PaymentEvent("payment.captured", p, object, now)}));
              return std::pair{Reply{200, object, false}, std::move(items)};
            });
        if (reply) Count("captured");
        return reply;
      });
}

payments::Result<Reply> PaymentService::CancelPayment(
    const std::string& merchant_id, const std::string& payment_id,
    const std::optional<IdempotencyInput>& idempotency) {
  return RunIdempotent(
      pool_, claims_, merchant_id, idempotency, options_.idempotency_lock,
      [&](const Execution& exec) -> payments::Result<Reply> {
        const Clock::time_point now = Clock::now();
        auto reply =
            OnLockedPayment(pool_, exec, merchant_id, payment_id, [&](Payment& p) -> Decision {
              if (auto plan = PlanCancel(p); !plan) return std::unexpected(plan.error());
              CountCall("cancel");
              const processors::ProcessorResult result = processor_.Cancel(
                  {p.id, merchant_id, exec.input() ? exec.input()->key : NewId("cnl", now),
                   p.processor_reference.value_or(""), p.amount, p.currency});
              if (result.outcome != processors::ProcessorResult::Outcome::kApproved) {
                return std::unexpected(ProcessorRefused(result, "cancel"));
              }
              ApplyCancel(p);
              const std::string object = PaymentToJson(p).dump();
              std::vector<db::BatchItem> items;
              items.push_back(store::UpdatePaymentItem(p));
              items.push_back(EventsItem({PaymentEvent("payment.canceled", p, object, now)}));
              return std::pair{Reply{200, object, false}, std::move(items)};
            });
        if (reply) Count("canceled");
        return reply;
      });
}

payments::Result<Reply> PaymentService::RefundPayment(
    const std::string& merchant_id, const std::string& payment_id, const RefundInput& input,
    const std::optional<IdempotencyInput>& idempotency) {
  return RunIdempotent(
      pool_, claims_, merchant_id, idempotency, options_.idempotency_lock,
      [&](const Execution& exec) -> payments::Result<Reply> {
        const Clock::time_point now = Clock::now();
        auto reply =
            OnLockedPayment(pool_, exec, merchant_id, payment_id, [&](Payment& p) -> Decision {
              auto to_refund = PlanRefund(p, input.amount);
              if (!to_refund) return std::unexpected(to_refund.error());
              Refund refund;
              refund.id = NewId("re", now);
              CountCall("refund");
              const processors::ProcessorResult result = processor_.Refund(
                  {p.id, merchant_id, exec.input() ? exec.input()->key : refund.id,
                   p.processor_reference.value_or(""), *to_refund, p.currency});
              if (result.outcome != processors::ProcessorResult::Outcome::kApproved) {
                return std::unexpected(ProcessorRefused(result, "refund"));
              }
              ApplyRefund(p, *to_refund);
              refund.payment_id = p.id;
              refund.merchant_id = merchant_id;
              refund.amount = *to_refund;
              refund.currency = p.currency;
              refund.status = RefundStatus::kSucceeded;
              refund.reason = input.reason;
              refund.processor_reference = result.reference;
              refund.metadata = input.metadata;
              refund.created =
                  std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
              const std::string refund_object = RefundToJson(refund).dump();
              const int64_t ms = UnixMillis(now);
              std::vector<db::BatchItem> items;
              items.push_back(store::UpdatePaymentItem(p));
              items.push_back(store::InsertRefundItem(refund, ms));
              items.push_back(store::InsertLedgerEntryItem(
                  {NewId("je", now), merchant_id, p.id, refund.id, "refund",
                   RefundPostings(p.currency, refund.amount)},
                  ms));
              items.push_back(
                  EventsItem({PaymentEvent("refund.created", p, refund_object, now),
                              PaymentEvent("payment.refunded", p, PaymentToJson(p).dump(), now)}));
              return std::pair{Reply{200, refund_object, false}, std::move(items)};
            });
        if (reply) Count("refunded");
        return reply;
      });
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
