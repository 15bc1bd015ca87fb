#include "service/payment_service.h"

#include <fmt/format.h>

#include <ctime>

#include "core/crypto.h"
#include "core/ids.h"
#include "db/transaction.h"
#include "events/cloud_event.h"
#include "payments/ledger.h"
#include "payments/payment_json.h"
#include "store/event_store.h"
#include "store/merchant_store.h"

namespace payments::service {
namespace {

using Clock = std::chrono::system_clock;

int64_t UnixMillis(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
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

payments::Status WriteEvent(db::Connection& conn, std::string_view type, const Payment& p,
                            const nlohmann::ordered_json& data, Clock::time_point now) {
  return store::InsertEvent(conn, events::MakeEvent(type, p.merchant_id, p.id, data, now));
}

// The state after a follow-up: payment row, ledger entry, events, the stored
// reply. Runs inside the caller's transaction.
payments::Status Persist(db::Connection& conn, const Execution& exec, const Reply& reply,
                         const Payment& payment) {
  if (auto s = exec.Store(conn, reply); !s) return s;
  return store::UpdatePayment(conn, payment);
}

}  // namespace

PaymentService::PaymentService(db::Pool& pool, processors::Processor& processor,
                               ServiceOptions options)
    : pool_(pool), processor_(processor), options_(std::move(options)) {}

std::string PaymentService::RequestHash(std::string_view method, std::string_view path,
                                        std::string_view canonical_body) const {
  return HmacSha256Hex(options_.fingerprint_key,
                       fmt::format("{} {}\n{}", method, path, canonical_body));
}

void PaymentService::Count(std::string_view outcome) {
  std::lock_guard lock(mu_);
  ++outcomes_[std::string(outcome)];
}

PaymentCounters PaymentService::Counters() const {
  std::lock_guard lock(mu_);
  return PaymentCounters{outcomes_};
}

payments::Result<Reply> PaymentService::CreatePayment(
    const std::string& merchant_id, const CreatePaymentInput& input,
    const std::optional<IdempotencyInput>& idempotency) {
  const Clock::time_point now = Clock::now();
  auto card = ValidateCard(input.card, CurrentYearMonth(now), "payment_method.card");
  if (!card) return std::unexpected(card.error());
  if (gate_) {
    if (auto open = gate_(processor_.name()); !open) return std::unexpected(open.error());
  }
  const std::string fingerprint = CardFingerprint(options_.fingerprint_key, card->number);

  return RunIdempotent(
      pool_, merchant_id, idempotency, options_.idempotency_lock,
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
        const nlohmann::ordered_json object = PaymentToJson(p);
        const Reply reply =
            p.status == PaymentStatus::kFailed ? DeclineReply(p) : Reply{200, object.dump(), false};

        const int64_t created_ms = UnixMillis(now);
        auto committed = db::InTransaction(pool_, [&](db::Connection& conn) -> payments::Status {
          if (auto s = exec.Store(conn, reply); !s) return s;
          if (auto s = store::InsertPayment(conn, p, created_ms); !s) return s;
          if (p.status == PaymentStatus::kCaptured) {
            const store::LedgerEntry entry{
                NewId("je", now), merchant_id, p.id,
                std::nullopt,     "capture",   CapturePostings(p.currency, p.amount)};
            if (auto s = store::InsertLedgerEntry(conn, entry, created_ms); !s) return s;
          }
          if (auto s = WriteEvent(conn, "payment.created", p, object, now); !s) return s;
          return WriteEvent(conn, event_type, p, object, now);
        });
        if (!committed) return std::unexpected(committed.error());
        Count(ToString(p.status));
        return reply;
      });
}

payments::Result<Reply> PaymentService::CapturePayment(
    const std::string& merchant_id, const std::string& payment_id, std::optional<int64_t> amount,
    const std::optional<IdempotencyInput>& idempotency) {
  return RunIdempotent(
      pool_, merchant_id, idempotency, options_.idempotency_lock,
      [&](const Execution& exec) -> payments::Result<Reply> {
        const Clock::time_point now = Clock::now();
        // The row lock serialises every change to this payment, the processor
        // call included, so two captures cannot both pass the state check.
        auto reply = db::InTransaction(pool_, [&](db::Connection& conn) -> payments::Result<Reply> {
          auto found = store::FindPayment(conn, merchant_id, payment_id, /*for_update=*/true);
          if (!found) return std::unexpected(found.error());
          if (!*found) return std::unexpected(NoSuchPayment(payment_id));
          Payment p = std::move(**found);
          auto to_capture = PlanCapture(p, amount);
          if (!to_capture) return std::unexpected(to_capture.error());
          const processors::ProcessorResult result = processor_.Capture(
              {p.id, merchant_id, exec.input() ? exec.input()->key : NewId("cap", now),
               p.processor_reference.value_or(""), *to_capture, p.currency});
          if (result.outcome != processors::ProcessorResult::Outcome::kApproved) {
            return std::unexpected(ProcessorRefused(result, "capture"));
          }
          ApplyCapture(p, *to_capture);
          const nlohmann::ordered_json object = PaymentToJson(p);
          Reply out{200, object.dump(), false};
          if (auto s = Persist(conn, exec, out, p); !s) return std::unexpected(s.error());
          const store::LedgerEntry entry{
              NewId("je", now), merchant_id, p.id,
              std::nullopt,     "capture",   CapturePostings(p.currency, p.amount_captured)};
          if (auto s = store::InsertLedgerEntry(conn, entry, UnixMillis(now)); !s) {
            return std::unexpected(s.error());
          }
          if (auto s = WriteEvent(conn, "payment.captured", p, object, now); !s) {
            return std::unexpected(s.error());
          }
          return out;
        });
        if (reply) Count("captured");
        return reply;
      });
}

payments::Result<Reply> PaymentService::CancelPayment(
    const std::string& merchant_id, const std::string& payment_id,
    const std::optional<IdempotencyInput>& idempotency) {
  return RunIdempotent(
      pool_, merchant_id, idempotency, options_.idempotency_lock,
      [&](const Execution& exec) -> payments::Result<Reply> {
        const Clock::time_point now = Clock::now();
        auto reply = db::InTransaction(pool_, [&](db::Connection& conn) -> payments::Result<Reply> {
          auto found = store::FindPayment(conn, merchant_id, payment_id, /*for_update=*/true);
          if (!found) return std::unexpected(found.error());
          if (!*found) return std::unexpected(NoSuchPayment(payment_id));
          Payment p = std::move(**found);
          if (auto plan = PlanCancel(p); !plan) return std::unexpected(plan.error());
          const processors::ProcessorResult result = processor_.Cancel(
              {p.id, merchant_id, exec.input() ? exec.input()->key : NewId("cnl", now),
               p.processor_reference.value_or(""), p.amount, p.currency});
          if (result.outcome != processors::ProcessorResult::Outcome::kApproved) {
            return std::unexpected(ProcessorRefused(result, "cancel"));
          }
          ApplyCancel(p);
          const nlohmann::ordered_json object = PaymentToJson(p);
          Reply out{200, object.dump(), false};
          if (auto s = Persist(conn, exec, out, p); !s) return std::unexpected(s.error());
          if (auto s = WriteEvent(conn, "payment.canceled", p, object, now); !s) {
            return std::unexpected(s.error());
          }
          return out;
        });
        if (reply) Count("canceled");
        return reply;
      });
}

payments::Result<Reply> PaymentService::RefundPayment(
    const std::string& merchant_id, const std::string& payment_id, const RefundInput& input,
    const std::optional<IdempotencyInput>& idempotency) {
  return RunIdempotent(
      pool_, merchant_id, idempotency, options_.idempotency_lock,
      [&](const Execution& exec) -> payments::Result<Reply> {
        const Clock::time_point now = Clock::now();
        auto reply = db::InTransaction(pool_, [&](db::Connection& conn) -> payments::Result<Reply> {
          auto found = store::FindPayment(conn, merchant_id, payment_id, /*for_update=*/true);
          if (!found) return std::unexpected(found.error());
          if (!*found) return std::unexpected(NoSuchPayment(payment_id));
          Payment p = std::move(**found);
          auto to_refund = PlanRefund(p, input.amount);
          if (!to_refund) return std::unexpected(to_refund.error());
          Refund refund;
          refund.id = NewId("re", now);
          const processors::ProcessorResult result =
              processor_.Refund({p.id, merchant_id, exec.input() ? exec.input()->key : refund.id,
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
          const nlohmann::ordered_json refund_object = RefundToJson(refund);
          Reply out{200, refund_object.dump(), false};
          const int64_t ms = UnixMillis(now);
          if (auto s = Persist(conn, exec, out, p); !s) return std::unexpected(s.error());
          if (auto s = store::InsertRefund(conn, refund, ms); !s) return std::unexpected(s.error());
          const store::LedgerEntry entry{
              NewId("je", now), merchant_id, p.id,
              refund.id,        "refund",    RefundPostings(p.currency, refund.amount)};
          if (auto s = store::InsertLedgerEntry(conn, entry, ms); !s) {
            return std::unexpected(s.error());
          }
          if (auto s = WriteEvent(conn, "refund.created", p, refund_object, now); !s) {
            return std::unexpected(s.error());
          }
          if (auto s = WriteEvent(conn, "payment.refunded", p, PaymentToJson(p), now); !s) {
            return std::unexpected(s.error());
          }
          return out;
        });
        if (reply) Count("refunded");
        return reply;
      });
}

payments::Result<Payment> PaymentService::GetPayment(const std::string& merchant_id,
                                                     const std::string& payment_id) {
  auto found = db::InTransaction(pool_, [&](db::Connection& conn) {
    return store::FindPayment(conn, merchant_id, payment_id, false);
  });
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::unexpected(NoSuchPayment(payment_id));
  return std::move(**found);
}

payments::Result<store::PaymentPage> PaymentService::ListPayments(
    const std::string& merchant_id, int limit, const std::optional<std::string>& starting_after) {
  return db::InTransaction(pool_, [&](db::Connection& conn) {
    return store::ListPayments(conn, merchant_id, limit, starting_after);
  });
}

payments::Result<std::map<std::string, int64_t>> PaymentService::Balance(
    const std::string& merchant_id) {
  return db::InTransaction(
      pool_, [&](db::Connection& conn) { return store::MerchantBalance(conn, merchant_id); });
}

payments::Result<std::optional<std::string>> PaymentService::Authenticate(
    const std::string& secret_key) {
  const std::string hash = Sha256Hex(secret_key);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    auto it = auth_cache_.find(hash);
    if (it != auth_cache_.end() && it->second.expires > now) {
      return std::optional<std::string>(it->second.merchant_id);
    }
  }
  auto found = db::InTransaction(
      pool_, [&](db::Connection& conn) { return store::FindMerchantByKeyHash(conn, hash); });
  if (!found) return std::unexpected(found.error());
  if (*found) {
    std::lock_guard lock(mu_);
    if (auth_cache_.size() > 10'000) auth_cache_.clear();
    auth_cache_[hash] = CachedKey{**found, now + options_.auth_cache_ttl};
  }
  return *found;
}

}  // namespace payments::service
