#include "store/idempotency_store.h"

#include "db/batch.h"

namespace payments::store {
namespace {

// Claims a new key, restarts an expired one (older than the 24-hour
// retention), or takes over an abandoned claim of the same request;
// otherwise leaves the row alone. Returns the token of every row it claimed:
// its rows are a VALUES list, so that a shared transaction can claim the keys
// of several requests in one statement (db/merged_statement.h), and each
// finds its own token among them. Of two claims of one key in one statement
// only one is tried (DISTINCT ON: a command may not change a row twice); the
// other finds it afterwards, as a claim in a statement of its own would.
constexpr db::Statement kClaim{
    "idempotency.claim",
    "INSERT INTO idempotency_keys AS k (merchant_id, key, request_method, request_path, "
    "request_hash, claim_token, locked_until) "
    "SELECT DISTINCT ON (merchant_id, key) merchant_id, key, method, path, hash, token, "
    "now() + lock_ms * interval '1 millisecond' "
    "FROM (VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint)) "
    "AS v (merchant_id, key, method, path, hash, token, lock_ms) ORDER BY merchant_id, key "
    "ON CONFLICT (merchant_id, key) DO UPDATE SET request_method = EXCLUDED.request_method, "
    "request_path = EXCLUDED.request_path, request_hash = EXCLUDED.request_hash, "
    "claim_token = EXCLUDED.claim_token, locked_until = EXCLUDED.locked_until, "
    "response_status = NULL, response_body = NULL, completed_at = NULL, "
    "created_at = CASE WHEN k.created_at < now() - interval '24 hours' "
    "THEN now() ELSE k.created_at END "
    "WHERE (k.created_at < now() - interval '24 hours' "
    "AND k.response_status IS DISTINCT FROM 202) "
    "OR (k.response_status IS NULL AND k.locked_until < now() "
    "AND k.request_hash = EXCLUDED.request_hash) "
    "RETURNING claim_token",
    true};

constexpr db::Statement kRead{"idempotency.read",
                              "SELECT request_hash, response_status, response_body, claim_token, "
                              "coalesce(locked_until < now(), false) FROM idempotency_keys "
                              "WHERE merchant_id = $1 AND key = $2"};

// kClaim takes over an abandoned claim only when its hash is the one this
// request has under the current key; one made under the key before a
// rotation ($6) is taken over here.
constexpr db::Statement kTakeOverPreviousKeyClaim{
    "idempotency.take_over_previous_key_claim",
    "UPDATE idempotency_keys SET request_hash = $3, claim_token = $4, "
    "locked_until = now() + $5 * interval '1 millisecond' "
    "WHERE merchant_id = $1 AND key = $2 AND request_hash = $6 AND response_status IS NULL "
    "AND locked_until < now() RETURNING claim_token"};

// Fails with division_by_zero, aborting the transaction, unless it completed
// every row it was given (a claim that is no longer ours is not completed).
// Its rows are a VALUES list, so that a shared transaction can complete the
// keys of several requests in one statement (db/merged_statement.h).
//
// It finds each key through ON CONFLICT, i.e. always by the primary key, not
// by an UPDATE joined to the list: the join's plan is the planner's choice,
// and a prepared statement keeps the generic plan it made first until the
// table is next analyzed. Made while the table was young (a new database),
// that plan was a sequential scan and stayed one as the table grew: 919
// scans reading 5.7 million rows in an 8-s benchmark
// (bench/history/2026-11-25e-completion-by-primary-key.md). A key that is gone (its claim,
// committed asynchronously, lost in a database crash; or purged, 24 hours on) takes the INSERT
// branch; its row, without completed_at, is not counted, so the statement fails and the row is
// rolled back with it. The price: ON CONFLICT locks the row before updating it, one more WAL record
// per key than the UPDATE wrote.
constexpr db::Statement kCompleteOrFail{
    "idempotency.complete_or_fail",
    "WITH v (merchant_id, key, token, status, body) AS (VALUES ($1::text, $2::text, $3::text, "
    "$4::integer, $5::text)), "
    "done AS (INSERT INTO idempotency_keys AS k (merchant_id, key, request_method, "
    "request_path, request_hash, claim_token, response_status, response_body) "
    "SELECT merchant_id, key, '', '', '', token, status, body FROM v "
    "ON CONFLICT (merchant_id, key) DO UPDATE SET response_status = EXCLUDED.response_status, "
    "response_body = EXCLUDED.response_body, completed_at = now(), claim_token = NULL, "
    "locked_until = NULL WHERE k.claim_token = EXCLUDED.claim_token RETURNING completed_at) "
    "SELECT 1 / (count(completed_at) = (SELECT count(*) FROM v))::integer FROM done",
    true};

constexpr db::Statement kComplete{
    "idempotency.complete",
    "UPDATE idempotency_keys SET response_status = $4, response_body = $5, completed_at = now(), "
    "claim_token = NULL, locked_until = NULL "
    "WHERE merchant_id = $1 AND key = $2 AND claim_token = $3"};

// Only over an interim 202 (the reply of a call whose answer was not known):
// a final reply is never replaced.
constexpr db::Statement kReplaceInterim{
    "idempotency.replace_interim",
    "UPDATE idempotency_keys SET response_status = $3, response_body = $4, completed_at = now() "
    "WHERE merchant_id = $1 AND key = $2 AND response_status = 202"};

constexpr db::Statement kRelease{
    "idempotency.release",
    "DELETE FROM idempotency_keys WHERE merchant_id = $1 AND key = $2 AND claim_token = $3 "
    "AND response_status IS NULL"};

}  // namespace

payments::Result<ClaimResult> ClaimIdempotencyKey(db::GroupCommitter& claims, db::Pool& pool,
                                                  const IdempotencyRequest& req,
                                                  const std::string& token,
                                                  std::chrono::milliseconds lock) {
  auto claim = [&] {
    db::Params params;
    params.Add(req.merchant_id).Add(req.key).Add(req.method).Add(req.path).Add(req.request_hash);
    params.Add(token).Add(static_cast<int64_t>(lock.count()));
    return claims.Run({{&kClaim, {}, std::move(params)}});
  };
  auto claimed = claim();
  // Only a claim whose answer was lost is tried again: with the same token it
  // finds itself. A timeout or a busy pool would only wait twice.
  if (!claimed && db::IsOutcomeUnknown(claimed.error())) claimed = claim();
  if (!claimed) return std::unexpected(claimed.error());
  const db::Rows& claimed_rows = claimed->front();
  for (int r = 0; r < claimed_rows.size(); ++r) {
    if (claimed_rows.Text(r, 0) == token) return ClaimResult{};
  }

  auto rows = db::Read(pool, [&](db::Connection& conn) {
    return conn.Run(kRead, db::Params().Add(req.merchant_id).Add(req.key));
  });
  if (!rows) return std::unexpected(rows.error());
  ClaimResult result;
  if (rows->empty()) {
    // Purged between the two statements: rare enough to ask for a retry.
    result.kind = ClaimResult::Kind::kInProgress;
    return result;
  }
  if (!rows->IsNull(0, 3) && rows->Text(0, 3) == token) {
    return ClaimResult{};  // ours already: this is a retry of the claim itself
  }
  const std::string_view stored_hash = rows->Text(0, 0);
  const bool under_previous_key =
      !req.previous_request_hash.empty() && stored_hash == req.previous_request_hash;
  if (stored_hash != req.request_hash && !under_previous_key) {
    result.kind = ClaimResult::Kind::kMismatch;
  } else if (under_previous_key && rows->IsNull(0, 1) && rows->Bool(0, 4)) {
    auto taken = db::Read(pool, [&](db::Connection& conn) {
      return conn.Run(kTakeOverPreviousKeyClaim, db::Params()
                                                     .Add(req.merchant_id)
                                                     .Add(req.key)
                                                     .Add(req.request_hash)
                                                     .Add(token)
                                                     .Add(static_cast<int64_t>(lock.count()))
                                                     .Add(req.previous_request_hash));
    });
    if (!taken) return std::unexpected(taken.error());
    if (!taken->empty()) return ClaimResult{};
    result.kind = ClaimResult::Kind::kInProgress;  // another retry took it first
  } else if (!rows->IsNull(0, 1)) {
    result.kind = ClaimResult::Kind::kCompleted;
    result.response_status = static_cast<int>(rows->Int64(0, 1));
    result.response_body = rows->String(0, 2);
  } else {
    result.kind = ClaimResult::Kind::kInProgress;
  }
  return result;
}

payments::Result<bool> CompleteIdempotencyKey(db::Connection& conn, const std::string& merchant_id,
                                              const std::string& key, const std::string& token,
                                              int status, const std::string& body) {
  auto r =
      conn.Run(kComplete, db::Params().Add(merchant_id).Add(key).Add(token).Add(status).Add(body));
  if (!r) return std::unexpected(r.error());
  return r->affected() == 1;
}

db::BatchItem CompleteIdempotencyKeyItem(const std::string& merchant_id, const std::string& key,
                                         const std::string& token, int status,
                                         const std::string& body) {
  return db::BatchItem{&kCompleteOrFail,
                       {},
                       db::Params().Add(merchant_id).Add(key).Add(token).Add(status).Add(body)};
}

db::BatchItem ReplaceInterimReplyItem(const std::string& merchant_id, const std::string& key,
                                      int status, const std::string& body) {
  return db::BatchItem{
      &kReplaceInterim, {}, db::Params().Add(merchant_id).Add(key).Add(status).Add(body)};
}

payments::Result<std::optional<StoredReply>> FindStoredReply(db::Connection& conn,
                                                             const std::string& merchant_id,
                                                             const std::string& key) {
  auto rows = conn.Run(kRead, db::Params().Add(merchant_id).Add(key));
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty() || rows->IsNull(0, 1)) return std::optional<StoredReply>();
  return StoredReply{static_cast<int>(rows->Int64(0, 1)), rows->String(0, 2)};
}

bool IsClaimLost(const Error& error) { return error.sqlstate == "22012"; }

payments::Status ReleaseIdempotencyKey(db::Connection& conn, const std::string& merchant_id,
                                       const std::string& key, const std::string& token) {
  auto r = conn.Run(kRelease, db::Params().Add(merchant_id).Add(key).Add(token));
  if (!r) return std::unexpected(r.error());
  return {};
}

payments::Result<int64_t> PurgeIdempotencyKeys(db::Connection& conn, std::chrono::seconds ttl,
                                               int batch) {
  auto r = conn.Exec(
      "DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys "
      "WHERE created_at < now() - $1::bigint * interval '1 second' "
      "AND response_status IS DISTINCT FROM 202 LIMIT $2)",
      db::Params().Add(static_cast<int64_t>(ttl.count())).Add(batch));
  if (!r) return std::unexpected(r.error());
  return r->affected();
}

}  // namespace payments::store
