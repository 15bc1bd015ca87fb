#include "store/payment_store.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace payments::store {
namespace {

#define PAYMENT_COLUMNS                                                                  \
  "id, merchant_id, amount, currency, status, amount_captured, amount_refunded, "        \
  "card_brand, card_last4, card_exp_month, card_exp_year, card_fingerprint, processor, " \
  "processor_reference, failure_code, failure_message, description, metadata::text, "    \
  "floor(extract(epoch FROM created_at))::bigint, amount_refund_pending, "               \
  "pending_operation, pending_key, pending_amount, pending_idempotency_key"

constexpr db::Statement kInsertPayment{
    "payments.insert",
    "INSERT INTO payments (id, merchant_id, amount, currency, status, amount_captured, "
    "amount_refunded, card_brand, card_last4, card_exp_month, card_exp_year, card_fingerprint, "
    "processor, processor_reference, failure_code, failure_message, description, metadata, "
    "created_at, updated_at, pending_operation, pending_key, pending_amount, "
    "pending_idempotency_key, next_reconcile_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
    "$10, $11, $12, $13, $14, $15, $16, $17, $18::jsonb, "
    "timestamptz 'epoch' + $19::bigint * interval '1 microsecond', "
    "timestamptz 'epoch' + $19::bigint * interval '1 microsecond', $20::text, $21::text, "
    "$22::bigint, $23::text, CASE WHEN $20::text IS NULL THEN NULL "
    "ELSE now() + $24::bigint * interval '1 millisecond' END)",
    true};

// Fails (invalid_text_representation naming "payment_changed") unless the
// row's pending call is still the one the writer settles ($15): a call
// settled by the request that made it and by reconciliation is settled once.
// The failing cast depends on count(*), so that the planner cannot fold it
// into an error before the row is looked at (CASE does not stop constant
// folding).
constexpr db::Statement kUpdatePayment{
    "payments.update_settled",
    "WITH u AS (UPDATE payments SET status = $3, amount_captured = $4, amount_refunded = $5, "
    "processor_reference = $6, failure_code = $7, failure_message = $8, "
    "amount_refund_pending = $9, pending_operation = $10, pending_key = $11, "
    "pending_amount = $12, pending_idempotency_key = $13, "
    "next_reconcile_at = CASE WHEN $10::text IS NULL THEN NULL "
    "ELSE now() + $14::bigint * interval '1 millisecond' END, "
    "reconcile_attempts = CASE WHEN pending_key IS NOT DISTINCT FROM $11::text "
    "THEN reconcile_attempts ELSE 0 END, updated_at = now() "
    "WHERE merchant_id = $1 AND id = $2 AND pending_key IS NOT DISTINCT FROM $15::text "
    "RETURNING 1) "
    "SELECT CASE WHEN count(*) = 1 THEN 1 ELSE ('payment_changed ' || $2 || count(*))::integer "
    "END FROM u"};

constexpr db::Statement kFindPayment{
    "payments.find", "SELECT " PAYMENT_COLUMNS " FROM payments WHERE merchant_id = $1 AND id = $2"};

constexpr db::Statement kFindPaymentForUpdate{
    "payments.find_for_update",
    "SELECT " PAYMENT_COLUMNS " FROM payments WHERE merchant_id = $1 AND id = $2 FOR UPDATE"};

// The filter's parts are NULL when absent; the cursor ($6) too on a first
// page. The order and the cursor ride payments_merchant_created.
constexpr db::Statement kList{
    "payments.list_filtered",
    "SELECT " PAYMENT_COLUMNS
    " FROM payments WHERE merchant_id = $1 AND ($3::text IS NULL OR status = $3) "
    "AND ($4::bigint IS NULL OR created_at >= to_timestamp($4::bigint)) "
    "AND ($5::bigint IS NULL OR created_at < to_timestamp($5::bigint)) "
    "AND ($6::text IS NULL OR (created_at, id) < "
    "(SELECT created_at, id FROM payments WHERE merchant_id = $1 AND id = $6)) "
    "ORDER BY created_at DESC, id DESC LIMIT $2"};

constexpr db::Statement kPaymentExists{"payments.cursor_exists",
                                       "SELECT 1 FROM payments WHERE merchant_id = $1 AND id = $2"};

constexpr db::Statement kInsertRefund{
    "refunds.insert",
    "INSERT INTO refunds (id, payment_id, merchant_id, amount, currency, status, reason, "
    "processor_reference, failure_code, metadata, created_at, idempotency_key, "
    "next_reconcile_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, "
    "to_timestamp($11::double precision / 1000), $12, CASE WHEN $6 = 'pending' "
    "THEN now() + $13::bigint * interval '1 millisecond' END)"};

// Settles a pending refund; fails like kUpdatePayment unless it was pending.
constexpr db::Statement kSettleRefund{
    "refunds.settle",
    "WITH u AS (UPDATE refunds SET status = $3, processor_reference = $4, failure_code = $5, "
    "next_reconcile_at = NULL WHERE merchant_id = $1 AND id = $2 AND status = 'pending' "
    "RETURNING 1) "
    "SELECT CASE WHEN count(*) = 1 THEN 1 ELSE ('refund_changed ' || $2 || count(*))::integer "
    "END FROM u"};

#define REFUND_COLUMNS                                                                   \
  "id, payment_id, merchant_id, amount, currency, status, reason, processor_reference, " \
  "failure_code, metadata::text, floor(extract(epoch FROM created_at))::bigint, "        \
  "idempotency_key"

constexpr db::Statement kFindRefund{
    "refunds.find", "SELECT " REFUND_COLUMNS " FROM refunds WHERE merchant_id = $1 AND id = $2"};

// One payment's refunds ride refunds_payment, the merchant's all
// refunds_merchant_created (migration 0006); $3 (the payment) and $4 (the
// cursor) are NULL when absent.
constexpr db::Statement kListRefunds{
    "refunds.list",
    "SELECT " REFUND_COLUMNS
    " FROM refunds WHERE merchant_id = $1 AND ($3::text IS NULL OR payment_id = $3) "
    "AND ($4::text IS NULL OR (created_at, id) < "
    "(SELECT created_at, id FROM refunds WHERE merchant_id = $1 AND id = $4)) "
    "ORDER BY created_at DESC, id DESC LIMIT $2"};

constexpr db::Statement kRefundExists{"refunds.exists",
                                      "SELECT 1 FROM refunds WHERE merchant_id = $1 AND id = $2"};

// The entry and its postings in one statement (the balance trigger runs once
// per statement); its rows are a VALUES list, so that a shared transaction
// can write the entries of several payments in one (db/merged_statement.h).
constexpr db::Statement kInsertLedgerEntry{
    "ledger.insert_entry",
    "WITH e (id, merchant_id, payment_id, refund_id, kind, created_ms, accounts, currencies, "
    "amounts) AS (VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, "
    "$6::double precision, $7::text[], $8::text[], $9::bigint[])), "
    "entry AS (INSERT INTO ledger_entries (id, merchant_id, payment_id, refund_id, kind, "
    "created_at) SELECT id, merchant_id, payment_id, refund_id, kind, "
    "to_timestamp(created_ms / 1000) FROM e RETURNING id) "
    "INSERT INTO ledger_postings (entry_id, merchant_id, account, currency, amount) "
    "SELECT e.id, e.merchant_id, p.account, p.currency, p.amount FROM entry JOIN e USING (id), "
    "unnest(e.accounts, e.currencies, e.amounts) WITH ORDINALITY "
    "AS p(account, currency, amount, n) ORDER BY e.id, p.n",
    true};

constexpr db::Statement kBalance{
    "ledger.balance",
    "SELECT currency, -sum(amount)::bigint FROM ledger_postings "
    "WHERE merchant_id = $1 AND account = 'merchant_balance' GROUP BY currency ORDER BY currency"};

std::string MetadataText(const Metadata& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j.dump();
}

Metadata ParseMetadata(std::string_view text) {
  Metadata m;
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return m;
  for (const auto& [k, v] : j.items()) {
    if (v.is_string()) m[k] = v.get<std::string>();
  }
  return m;
}

Payment ReadPayment(const db::Rows& rows, int r) {
  Payment p;
  p.id = rows.String(r, 0);
  p.merchant_id = rows.String(r, 1);
  p.amount = rows.Int64(r, 2);
  p.currency = rows.String(r, 3);
  p.status = ParsePaymentStatus(rows.Text(r, 4)).value_or(PaymentStatus::kFailed);
  p.amount_captured = rows.Int64(r, 5);
  p.amount_refunded = rows.Int64(r, 6);
  p.card.brand = rows.String(r, 7);
  p.card.last4 = rows.String(r, 8);
  p.card.exp_month = static_cast<int>(rows.Int64(r, 9));
  p.card.exp_year = static_cast<int>(rows.Int64(r, 10));
  p.card.fingerprint = rows.String(r, 11);
  p.processor = rows.String(r, 12);
  p.processor_reference = rows.OptionalString(r, 13);
  p.failure_code = rows.OptionalString(r, 14);
  p.failure_message = rows.OptionalString(r, 15);
  p.description = rows.OptionalString(r, 16);
  p.metadata = ParseMetadata(rows.Text(r, 17));
  p.created = rows.Int64(r, 18);
  p.amount_refund_pending = rows.Int64(r, 19);
  if (auto op = ParsePendingOperation(rows.Text(r, 20))) {
    p.pending = Pending{*op, rows.String(r, 21), rows.Int64(r, 22), rows.OptionalString(r, 23)};
  }
  return p;
}

Refund ReadRefund(const db::Rows& rows, int r) {
  Refund f;
  f.id = rows.String(r, 0);
  f.payment_id = rows.String(r, 1);
  f.merchant_id = rows.String(r, 2);
  f.amount = rows.Int64(r, 3);
  f.currency = rows.String(r, 4);
  f.status = ParseRefundStatus(rows.Text(r, 5)).value_or(RefundStatus::kFailed);
  f.reason = rows.OptionalString(r, 6);
  f.processor_reference = rows.OptionalString(r, 7);
  f.failure_code = rows.OptionalString(r, 8);
  f.metadata = ParseMetadata(rows.Text(r, 9));
  f.created = rows.Int64(r, 10);
  f.idempotency_key = rows.OptionalString(r, 11);
  return f;
}

// The first `limit` of rows read into `out` (a list asks for limit + 1):
// whether there was more.
template <typename T>
bool ReadPage(const db::Rows& rows, int limit, std::vector<T>& out,
              T (*read)(const db::Rows&, int)) {
  const int n = rows.size();
  for (int r = 0; r < std::min(n, limit); ++r) out.push_back(read(rows, r));
  return n > limit;
}

// 400 resource_missing naming `param` unless the merchant has the row.
payments::Status Exists(db::Connection& conn, const db::Statement& statement,
                        const std::string& merchant_id, const std::string& id,
                        std::string_view what, std::string_view param) {
  auto rows = conn.Run(statement, db::Params().Add(merchant_id).Add(id));
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) {
    return std::unexpected(Error::Of(ErrorKind::kInvalidRequest, "resource_missing",
                                     fmt::format("No such {}: '{}'", what, id),
                                     std::string(param)));
  }
  return {};
}

}  // namespace

namespace {

void AddPending(db::Params& params, const Payment& p) {
  std::optional<std::string> op, key, idempotency_key;
  std::optional<int64_t> amount;
  if (p.pending) {
    op = std::string(ToString(p.pending->operation));
    key = p.pending->processor_key;
    amount = p.pending->amount;
    idempotency_key = p.pending->idempotency_key;
  }
  params.Add(op).Add(key).Add(amount).Add(idempotency_key);
}

}  // namespace

db::BatchItem InsertPaymentItem(const Payment& p, int64_t created_us, int64_t reconcile_after_ms) {
  db::Params params;
  params.Add(p.id).Add(p.merchant_id).Add(p.amount).Add(p.currency).Add(ToString(p.status));
  params.Add(p.amount_captured).Add(p.amount_refunded).Add(p.card.brand).Add(p.card.last4);
  params.Add(p.card.exp_month).Add(p.card.exp_year).Add(p.card.fingerprint).Add(p.processor);
  params.Add(p.processor_reference).Add(p.failure_code).Add(p.failure_message).Add(p.description);
  params.Add(MetadataText(p.metadata)).Add(created_us);
  AddPending(params, p);
  params.Add(reconcile_after_ms);
  return db::BatchItem{&kInsertPayment, {}, std::move(params)};
}

db::BatchItem UpdatePaymentItem(const Payment& p, const std::optional<std::string>& settles,
                                int64_t reconcile_after_ms) {
  db::Params params;
  params.Add(p.merchant_id).Add(p.id).Add(ToString(p.status)).Add(p.amount_captured);
  params.Add(p.amount_refunded).Add(p.processor_reference).Add(p.failure_code);
  params.Add(p.failure_message).Add(p.amount_refund_pending);
  AddPending(params, p);
  params.Add(reconcile_after_ms).Add(settles);
  return db::BatchItem{&kUpdatePayment, {}, std::move(params)};
}

db::BatchItem SettleRefundItem(const Refund& f) {
  db::Params params;
  params.Add(f.merchant_id).Add(f.id).Add(ToString(f.status)).Add(f.processor_reference);
  params.Add(f.failure_code);
  return db::BatchItem{&kSettleRefund, {}, std::move(params)};
}

bool IsConcurrentlySettled(const Error& error) {
  return error.sqlstate == "22P02" && (error.detail.find("payment_changed") != std::string::npos ||
                                       error.detail.find("refund_changed") != std::string::npos ||
                                       error.message.find("_changed") != std::string::npos);
}

db::BatchItem FindPaymentItem(const std::string& merchant_id, const std::string& id,
                              bool for_update) {
  return db::BatchItem{for_update ? &kFindPaymentForUpdate : &kFindPayment,
                       {},
                       db::Params().Add(merchant_id).Add(id)};
}

std::optional<Payment> PaymentFromRows(const db::Rows& rows) {
  if (rows.empty()) return std::nullopt;
  return ReadPayment(rows, 0);
}

namespace {

payments::Status RunItem(db::Connection& conn, const db::BatchItem& item) {
  auto r = conn.Run(*item.statement, item.params);
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace

payments::Status InsertPayment(db::Connection& conn, const Payment& p, int64_t created_us) {
  return RunItem(conn, InsertPaymentItem(p, created_us));
}

payments::Result<std::optional<Payment>> FindPayment(db::Connection& conn,
                                                     const std::string& merchant_id,
                                                     const std::string& id, bool for_update) {
  const db::BatchItem item = FindPaymentItem(merchant_id, id, for_update);
  auto rows = conn.Run(*item.statement, item.params);
  if (!rows) return std::unexpected(rows.error());
  return PaymentFromRows(*rows);
}

payments::Result<PaymentPage> ListPayments(db::Connection& conn, const std::string& merchant_id,
                                           const PaymentFilter& filter, int limit,
                                           const std::optional<std::string>& starting_after) {
  std::optional<std::string> status;
  if (filter.status) status = std::string(ToString(*filter.status));
  db::Params params;
  params.Add(merchant_id).Add(limit + 1).Add(status).Add(filter.created_gte);
  params.Add(filter.created_lt).Add(starting_after);
  auto rows = conn.Run(kList, params);
  if (!rows) return std::unexpected(rows.error());
  // A cursor that is not the merchant's matches nothing: only an empty page
  // pays the round trip that tells it from the end of the list.
  if (rows->empty() && starting_after) {
    auto s =
        Exists(conn, kPaymentExists, merchant_id, *starting_after, "payment", "starting_after");
    if (!s) return std::unexpected(s.error());
  }
  PaymentPage page;
  page.has_more = ReadPage(*rows, limit, page.payments, ReadPayment);
  return page;
}

db::BatchItem InsertRefundItem(const Refund& refund, int64_t created_ms,
                               int64_t reconcile_after_ms) {
  db::Params params;
  params.Add(refund.id).Add(refund.payment_id).Add(refund.merchant_id).Add(refund.amount);
  params.Add(refund.currency).Add(ToString(refund.status)).Add(refund.reason);
  params.Add(refund.processor_reference).Add(refund.failure_code);
  params.Add(MetadataText(refund.metadata)).Add(created_ms).Add(refund.idempotency_key);
  params.Add(reconcile_after_ms);
  return db::BatchItem{&kInsertRefund, {}, std::move(params)};
}

payments::Status InsertRefund(db::Connection& conn, const Refund& refund, int64_t created_ms) {
  return RunItem(conn, InsertRefundItem(refund, created_ms));
}

payments::Result<std::optional<Refund>> FindRefund(db::Connection& conn,
                                                   const std::string& merchant_id,
                                                   const std::string& id) {
  auto rows = conn.Run(kFindRefund, db::Params().Add(merchant_id).Add(id));
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<Refund>();
  return ReadRefund(*rows, 0);
}

payments::Result<RefundPage> ListRefunds(db::Connection& conn, const std::string& merchant_id,
                                         const std::optional<std::string>& payment_id, int limit,
                                         const std::optional<std::string>& starting_after) {
  db::Params params;
  params.Add(merchant_id).Add(limit + 1).Add(payment_id).Add(starting_after);
  auto rows = conn.Run(kListRefunds, params);
  if (!rows) return std::unexpected(rows.error());
  // A payment or cursor that is not the merchant's matches nothing: only an
  // empty page pays the round trips that tell it from an empty list.
  if (rows->empty() && payment_id) {
    auto s = Exists(conn, kPaymentExists, merchant_id, *payment_id, "payment", "payment");
    if (!s) return std::unexpected(s.error());
  }
  if (rows->empty() && starting_after) {
    auto s = Exists(conn, kRefundExists, merchant_id, *starting_after, "refund", "starting_after");
    if (!s) return std::unexpected(s.error());
  }
  RefundPage page;
  page.has_more = ReadPage(*rows, limit, page.refunds, ReadRefund);
  return page;
}

db::BatchItem InsertLedgerEntryItem(const LedgerEntry& entry, int64_t created_ms) {
  std::vector<std::string> accounts, currencies;
  std::vector<int64_t> amounts;
  for (const auto& posting : entry.postings) {
    accounts.push_back(posting.account);
    currencies.push_back(posting.currency);
    amounts.push_back(posting.amount);
  }
  db::Params params;
  params.Add(entry.id).Add(entry.merchant_id).Add(entry.payment_id).Add(entry.refund_id);
  params.Add(entry.kind)
      .Add(created_ms)
      .Add(db::TextArray(accounts))
      .Add(db::TextArray(currencies));
  params.Add(db::Int64Array(amounts));
  return db::BatchItem{&kInsertLedgerEntry, {}, std::move(params)};
}

payments::Status InsertLedgerEntry(db::Connection& conn, const LedgerEntry& entry,
                                   int64_t created_ms) {
  return RunItem(conn, InsertLedgerEntryItem(entry, created_ms));
}

payments::Result<std::map<std::string, int64_t>> MerchantBalance(db::Connection& conn,
                                                                 const std::string& merchant_id) {
  auto rows = conn.Run(kBalance, db::Params().Add(merchant_id));
  if (!rows) return std::unexpected(rows.error());
  std::map<std::string, int64_t> out;
  for (int r = 0; r < rows->size(); ++r) out[rows->String(r, 0)] = rows->Int64(r, 1);
  return out;
}

// --- Reconciliation -------------------------------------------------------------

namespace {

constexpr db::Statement kDuePayments{
    "payments.reconcile_due",
    "SELECT " PAYMENT_COLUMNS
    ", reconcile_attempts, false FROM payments "
    "WHERE next_reconcile_at <= now() ORDER BY next_reconcile_at LIMIT $1"};

constexpr db::Statement kDueRefunds{
    "refunds.reconcile_due",
    "SELECT " REFUND_COLUMNS
    ", reconcile_attempts, false FROM refunds "
    "WHERE next_reconcile_at <= now() ORDER BY next_reconcile_at LIMIT $1"};

// $3 NULL: no more automatic attempts (left for an operator).
constexpr db::Statement kReschedulePayment{
    "payments.reconcile_reschedule",
    "UPDATE payments SET reconcile_attempts = reconcile_attempts + 1, "
    "next_reconcile_at = now() + $3::bigint * interval '1 millisecond' "
    "WHERE id = $1 AND pending_key = $2"};

constexpr db::Statement kRescheduleRefund{
    "refunds.reconcile_reschedule",
    "UPDATE refunds SET reconcile_attempts = reconcile_attempts + 1, "
    "next_reconcile_at = now() + $2::bigint * interval '1 millisecond' "
    "WHERE id = $1 AND status = 'pending'"};

constexpr db::Statement kUnsettledPayments{
    "payments.unsettled", "SELECT " PAYMENT_COLUMNS
                          ", reconcile_attempts, next_reconcile_at IS NULL FROM payments "
                          "WHERE pending_key IS NOT NULL ORDER BY created_at, id LIMIT $1"};

constexpr db::Statement kUnsettledRefunds{
    "refunds.unsettled", "SELECT " REFUND_COLUMNS
                         ", reconcile_attempts, next_reconcile_at IS NULL FROM refunds "
                         "WHERE status = 'pending' ORDER BY created_at, id LIMIT $1"};

}  // namespace

namespace {

// Rows of a query that selects the columns, the looks made, and whether
// none is left.
DuePayment ReadDuePayment(const db::Rows& rows, int r) {
  return {ReadPayment(rows, r), static_cast<int>(rows.Int64(r, 24)), rows.Text(r, 25) == "t"};
}

DueRefund ReadDueRefund(const db::Rows& rows, int r) {
  return {ReadRefund(rows, r), static_cast<int>(rows.Int64(r, 12)), rows.Text(r, 13) == "t"};
}

template <typename T>
payments::Result<std::vector<T>> ReadAll(db::Connection& conn, const db::Statement& statement,
                                         const db::Params& params,
                                         T (*read)(const db::Rows&, int)) {
  auto rows = conn.Run(statement, params);
  if (!rows) return std::unexpected(rows.error());
  std::vector<T> out;
  for (int r = 0; r < rows->size(); ++r) out.push_back(read(*rows, r));
  return out;
}

}  // namespace

payments::Result<std::vector<DuePayment>> DuePayments(db::Connection& conn, int limit) {
  return ReadAll(conn, kDuePayments, db::Params().Add(limit), ReadDuePayment);
}

payments::Result<std::vector<DueRefund>> DueRefunds(db::Connection& conn, int limit) {
  return ReadAll(conn, kDueRefunds, db::Params().Add(limit), ReadDueRefund);
}

payments::Result<std::vector<DuePayment>> UnsettledPayments(db::Connection& conn, int limit) {
  return ReadAll(conn, kUnsettledPayments, db::Params().Add(limit), ReadDuePayment);
}

payments::Result<std::vector<DueRefund>> UnsettledRefunds(db::Connection& conn, int limit) {
  return ReadAll(conn, kUnsettledRefunds, db::Params().Add(limit), ReadDueRefund);
}

payments::Status ReschedulePayment(db::Connection& conn, const std::string& payment_id,
                                   const std::string& pending_key,
                                   std::optional<int64_t> after_ms) {
  return RunItem(
      conn, {&kReschedulePayment, {}, db::Params().Add(payment_id).Add(pending_key).Add(after_ms)});
}

payments::Result<std::vector<LedgerPaymentNet>> LedgerNetsSince(db::Connection& conn,
                                                                int64_t since_unix,
                                                                const std::string& after_id,
                                                                int limit) {
  static constexpr db::Statement kNets{
      "ledger.payment_nets_since",
      "SELECT p.id, p.merchant_id, p.currency, p.processor_reference, "
      "coalesce((SELECT sum(lp.amount) FROM ledger_entries e JOIN ledger_postings lp "
      "ON lp.entry_id = e.id WHERE e.payment_id = p.id AND lp.account = "
      "'processor_receivable'), 0)::bigint "
      "FROM payments p WHERE p.updated_at >= to_timestamp($1::bigint) AND p.id > $2 "
      "AND p.processor_reference IS NOT NULL ORDER BY p.id LIMIT $3"};
  auto rows = conn.Run(kNets, db::Params().Add(since_unix).Add(after_id).Add(limit));
  if (!rows) return std::unexpected(rows.error());
  std::vector<LedgerPaymentNet> out;
  for (int r = 0; r < rows->size(); ++r) {
    out.push_back({rows->String(r, 0), rows->String(r, 1), rows->String(r, 2), rows->String(r, 3),
                   rows->Int64(r, 4)});
  }
  return out;
}

payments::Result<bool> TryAcquireReconcileLock(db::Connection& conn) {
  static constexpr db::Statement kTryLock{"reconcile.try_lock", "SELECT pg_try_advisory_lock($1)"};
  auto rows = conn.Run(kTryLock, db::Params().Add(kReconcileLockKey));
  if (!rows) return std::unexpected(rows.error());
  return rows->Bool(0, 0);
}

payments::Result<std::optional<DuePayment>> FindUnsettledPayment(db::Connection& conn,
                                                                 const std::string& id) {
  static constexpr db::Statement kFind{
      "payments.find_unsettled", "SELECT " PAYMENT_COLUMNS
                                 ", reconcile_attempts, next_reconcile_at IS NULL FROM payments "
                                 "WHERE id = $1 AND pending_key IS NOT NULL"};
  auto found = ReadAll(conn, kFind, db::Params().Add(id), ReadDuePayment);
  if (!found) return std::unexpected(found.error());
  if (found->empty()) return std::optional<DuePayment>();
  return std::move(found->front());
}

payments::Result<std::optional<DueRefund>> FindUnsettledRefund(db::Connection& conn,
                                                               const std::string& id) {
  static constexpr db::Statement kFind{
      "refunds.find_unsettled", "SELECT " REFUND_COLUMNS
                                ", reconcile_attempts, next_reconcile_at IS NULL FROM refunds "
                                "WHERE id = $1 AND status = 'pending'"};
  auto found = ReadAll(conn, kFind, db::Params().Add(id), ReadDueRefund);
  if (!found) return std::unexpected(found.error());
  if (found->empty()) return std::optional<DueRefund>();
  return std::move(found->front());
}

payments::Status RescheduleRefund(db::Connection& conn, const std::string& refund_id,
                                  std::optional<int64_t> after_ms) {
  return RunItem(conn, {&kRescheduleRefund, {}, db::Params().Add(refund_id).Add(after_ms)});
}

}  // namespace payments::store
