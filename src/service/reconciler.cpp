#include "service/reconciler.h"

#include <fmt/format.h>

#include "core/duration.h"
#include "core/redact.h"
#include "db/batch.h"
#include "db/transaction.h"
#include "service/settlement.h"
#include "store/payment_store.h"
#include "store/reconcile_audit_store.h"
#include "telemetry/log.h"

namespace payments::service {
namespace {

using Clock = std::chrono::system_clock;
using Outcome = processors::ProcessorResult::Outcome;

std::string Detail(const Error& e) { return e.detail.empty() ? e.message : e.detail; }

}  // namespace

payments::Result<std::vector<std::chrono::milliseconds>> ParseReconcileSchedule(
    std::string_view text) {
  return ParseDurationList(text, "reconcile_schedule", "reconcile schedule");
}

Reconciler::Reconciler(db::Pool& pool, processors::Processor& processor, ReconcileOptions options)
    : pool_(pool), processor_(processor), options_(std::move(options)) {}

Reconciler::~Reconciler() { Release(); }

void Reconciler::Release() {
  lock_conn_.reset();  // the session ends, and its lock with it
  std::lock_guard lock(mu_);
  stats_.active = false;
}

ReconcileStats Reconciler::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

payments::Status Reconciler::RunOnce() {
  if (!lock_conn_ || lock_conn_->broken()) {
    lock_conn_.reset();
    auto conn = db::Connection::Open(
        {.conninfo = options_.conninfo, .application_name = "payments-reconciler"});
    if (!conn) {
      std::lock_guard lock(mu_);
      stats_.active = false;
      return std::unexpected(conn.error());
    }
    lock_conn_ = std::move(*conn);
  }
  auto held = store::TryAcquireReconcileLock(*lock_conn_);
  if (!held) {
    lock_conn_.reset();
    std::lock_guard lock(mu_);
    stats_.active = false;
    return std::unexpected(held.error());
  }
  {
    std::lock_guard lock(mu_);
    if (*held && !stats_.active) log::Info("reconciler active", {});
    stats_.active = *held;
  }
  if (!*held) return {};  // another instance's is active
  return RunDue();
}

namespace {

// The next look after `attempts` looks that found no answer, or nullopt
// when the schedule is spent.
std::optional<int64_t> NextLook(const std::vector<std::chrono::milliseconds>& schedule,
                                int attempts) {
  if (attempts < 0 || static_cast<size_t>(attempts) >= schedule.size()) return std::nullopt;
  return schedule[static_cast<size_t>(attempts)].count();
}

}  // namespace

payments::Status Reconciler::RunDue() {
  auto due =
      db::Read(pool_, [&](db::Connection& c) { return store::DuePayments(c, options_.batch); });
  if (!due) return std::unexpected(due.error());
  int64_t errors = 0;
  for (const store::DuePayment& d : *due) {
    if (auto r = Look(d, true); !r) {
      ++errors;
      log::Warn("reconciliation failed",
                {{"payment_id", d.payment.id}, {"error", Detail(r.error())}});
    }
  }
  auto refunds =
      db::Read(pool_, [&](db::Connection& c) { return store::DueRefunds(c, options_.batch); });
  if (!refunds) return std::unexpected(refunds.error());
  for (const store::DueRefund& d : *refunds) {
    if (auto r = Look(d, true); !r) {
      ++errors;
      log::Warn("reconciliation failed",
                {{"refund_id", d.refund.id}, {"error", Detail(r.error())}});
    }
  }
  std::lock_guard lock(mu_);
  stats_.errors += errors;
  return {};
}

void Reconciler::NoAnswer(std::string_view kind, const std::string& id, int attempts,
                          std::optional<int64_t> next, const processors::ProcessorResult& answer) {
  std::lock_guard lock(mu_);
  if (next) {
    ++stats_.still_unknown;
    return;
  }
  ++stats_.exhausted;
  log::Error("reconciliation gave up: an operator must resolve this call",
             {{kind == "refund" ? "refund_id" : "payment_id", id},
              {"looks", attempts + 1},
              {"last_answer", answer.message},
              {"next", "payments reconcile list | retry | resolve"}});
}

namespace {

// Records the answer to a payment's pending call, with `extra` (an audit
// row) in the same transaction; false when it was settled meanwhile.
payments::Result<std::string> RecordPaymentAnswer(db::Pool& pool, const Payment& p,
                                                  const processors::ProcessorResult& answer,
                                                  std::vector<db::BatchItem> extra) {
  const PendingOperation op = p.pending->operation;
  const bool authorization = op == PendingOperation::kAuthorize || op == PendingOperation::kSale;
  Settlement settled = authorization ? SettleAuthorization(p, answer, Clock::now())
                                     : SettleFollowUp(p, answer, Clock::now());
  for (auto& item : extra) settled.items.push_back(std::move(item));
  auto written = db::RunTransactionBatch(pool, std::move(settled.items));
  if (!written) {
    if (store::IsConcurrentlySettled(written.error())) return std::string();
    return std::unexpected(written.error());
  }
  return settled.outcome;
}

// The same for a pending refund, against its payment as locked now.
payments::Result<std::string> RecordRefundAnswer(db::Pool& pool, const Refund& refund,
                                                 const processors::ProcessorResult& answer,
                                                 std::vector<db::BatchItem> extra) {
  auto tx =
      db::BeginBatch(pool, {store::FindPaymentItem(refund.merchant_id, refund.payment_id, true)});
  if (!tx) return std::unexpected(tx.error());
  std::optional<Payment> payment = store::PaymentFromRows(tx->rows[0]);
  if (!payment) {
    db::RollbackTransaction(*tx->connection);
    return std::unexpected(Error::Internal("a pending refund's payment is missing", refund.id));
  }
  RefundSettlement settled = SettleRefundCall(std::move(*payment), refund, answer, Clock::now());
  for (auto& item : extra) settled.items.push_back(std::move(item));
  auto written = db::CommitBatch(*tx->connection, std::move(settled.items));
  if (!written) {
    if (store::IsConcurrentlySettled(written.error())) return std::string();
    return std::unexpected(written.error());
  }
  return settled.outcome;
}

}  // namespace

namespace {

// A pending call of an operation this release does not know (written by a
// newer one): never settled by guessing.
Error UnreadablePending(const std::string& id) {
  return Error::Internal("a pending call this release cannot read", id);
}

}  // namespace

payments::Result<bool> Reconciler::Look(const store::DuePayment& d, bool scheduled) {
  const Payment& p = d.payment;
  if (!p.pending) return std::unexpected(UnreadablePending(p.id));
  const Pending pending = *p.pending;
  const processors::ProcessorResult answer = processor_.Lookup(pending.processor_key);
  if (answer.outcome == Outcome::kUnknown) {
    if (!scheduled) return false;
    const std::optional<int64_t> next = NextLook(options_.schedule, d.attempts);
    auto rescheduled = db::Read(pool_, [&](db::Connection& c) {
      return store::ReschedulePayment(c, p.id, pending.processor_key, next);
    });
    if (!rescheduled) return std::unexpected(rescheduled.error());
    NoAnswer("payment", p.id, d.attempts, next, answer);
    return false;
  }
  auto outcome = RecordPaymentAnswer(pool_, p, answer, {});
  if (!outcome) return std::unexpected(outcome.error());
  if (outcome->empty()) return false;
  log::Info("reconciled", {{"payment_id", p.id},
                           {"operation", ToString(pending.operation)},
                           {"answer", processors::ToString(answer.outcome)},
                           {"outcome", *outcome}});
  std::lock_guard lock(mu_);
  ++stats_.settled;
  return true;
}

payments::Result<bool> Reconciler::Look(const store::DueRefund& d, bool scheduled) {
  const Refund& refund = d.refund;
  const processors::ProcessorResult answer = processor_.Lookup(refund.id);
  if (answer.outcome == Outcome::kUnknown) {
    if (!scheduled) return false;
    const std::optional<int64_t> next = NextLook(options_.schedule, d.attempts);
    auto rescheduled = db::Read(
        pool_, [&](db::Connection& c) { return store::RescheduleRefund(c, refund.id, next); });
    if (!rescheduled) return std::unexpected(rescheduled.error());
    NoAnswer("refund", refund.id, d.attempts, next, answer);
    return false;
  }
  auto outcome = RecordRefundAnswer(pool_, refund, answer, {});
  if (!outcome) return std::unexpected(outcome.error());
  if (outcome->empty()) return false;
  log::Info("reconciled", {{"refund_id", refund.id},
                           {"payment_id", refund.payment_id},
                           {"answer", processors::ToString(answer.outcome)},
                           {"outcome", *outcome}});
  std::lock_guard lock(mu_);
  ++stats_.settled;
  return true;
}

payments::Result<bool> Reconciler::LookAtPayment(const std::string& payment_id) {
  auto found = db::Read(
      pool_, [&](db::Connection& c) { return store::FindUnsettledPayment(c, payment_id); });
  if (!found) return std::unexpected(found.error());
  if (!*found) return false;
  return Look(**found, false);
}

payments::Result<bool> Reconciler::LookAtRefund(const std::string& refund_id) {
  auto found =
      db::Read(pool_, [&](db::Connection& c) { return store::FindUnsettledRefund(c, refund_id); });
  if (!found) return std::unexpected(found.error());
  if (!*found) return false;
  return Look(**found, false);
}

payments::Result<std::string> ResolveByOperator(db::Pool& pool, const OperatorResolution& r) {
  if (r.actor.empty() || r.actor.size() > 200) {
    return std::unexpected(
        Error::InvalidRequest("parameter_invalid", "actor must be 1-200 characters", "actor"));
  }
  if (r.reason.empty() || r.reason.size() > 500) {
    return std::unexpected(
        Error::InvalidRequest("parameter_invalid", "reason must be 1-500 characters", "reason"));
  }
  // An operator's words are stored and logged: never a card number.
  for (const auto& [name, text] :
       {std::pair{"reason", &r.reason}, {"actor", &r.actor}, {"reference", &r.reference}}) {
    if (HoldsCardNumber(*text)) {
      return std::unexpected(Error::InvalidRequest(
          "parameter_contains_card_number",
          fmt::format("{} looks like it holds a card number; it is stored and logged", name),
          name));
    }
  }
  if (r.reference.size() > 128) {
    return std::unexpected(Error::InvalidRequest(
        "parameter_invalid", "reference must be at most 128 characters", "reference"));
  }
  processors::ProcessorResult answer;
  if (r.succeeded) {
    answer = {Outcome::kApproved, r.reference, "", ""};
  } else {
    answer = {Outcome::kFailed, "", "resolved_by_operator",
              "The processor did not do it (resolved by an operator)."};
  }
  const store::ReconcileAuditEntry audit{
      0, "", r.actor, "resolve", r.id, r.succeeded ? "succeeded" : "failed", r.reason};
  payments::Result<std::string> outcome;
  if (r.id.starts_with("re_")) {
    auto found =
        db::Read(pool, [&](db::Connection& c) { return store::FindUnsettledRefund(c, r.id); });
    if (!found) return std::unexpected(found.error());
    if (!*found) {
      return std::unexpected(Error::NotFound(
          fmt::format("No pending refund '{}' (settled already, or unknown)", r.id), "id"));
    }
    outcome = RecordRefundAnswer(pool, (*found)->refund, answer,
                                 {store::InsertReconcileAuditItem(audit)});
  } else {
    auto found =
        db::Read(pool, [&](db::Connection& c) { return store::FindUnsettledPayment(c, r.id); });
    if (!found) return std::unexpected(found.error());
    if (!*found) {
      return std::unexpected(Error::NotFound(
          fmt::format("No payment '{}' with a pending call (settled already, or unknown)", r.id),
          "id"));
    }
    if (!(*found)->payment.pending) return std::unexpected(UnreadablePending(r.id));
    const PendingOperation op = (*found)->payment.pending->operation;
    const bool authorization = op == PendingOperation::kAuthorize || op == PendingOperation::kSale;
    if (r.succeeded && authorization && r.reference.empty()) {
      // Captures and refunds of it name the processor's authorization.
      return std::unexpected(Error::InvalidRequest(
          "parameter_missing",
          "an authorization resolved as succeeded needs --reference: the processor's id of it",
          "reference"));
    }
    outcome = RecordPaymentAnswer(pool, (*found)->payment, answer,
                                  {store::InsertReconcileAuditItem(audit)});
  }
  if (!outcome) return std::unexpected(outcome.error());
  if (outcome->empty()) {
    return std::unexpected(Error::StateConflict(
        "already_settled", fmt::format("'{}' was settled while this ran; nothing changed", r.id)));
  }
  log::Warn("reconciled by an operator",
            {{"id", r.id}, {"actor", r.actor}, {"outcome", *outcome}, {"reason", r.reason}});
  return *outcome;
}

}  // namespace payments::service
