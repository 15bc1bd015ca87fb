#include "store/webhook_store.h"

#include <nlohmann/json.hpp>

#include "db/params.h"

namespace payments::store {
namespace {

#define ENDPOINT_COLUMNS                                                                     \
  "id, merchant_id, url, description, array_to_json(enabled_events)::text, status, "         \
  "disabled_reason, secret_sealed, "                                                         \
  "CASE WHEN previous_secret_expires_at > now() THEN previous_secret_sealed END, "           \
  "CASE WHEN previous_secret_expires_at > now() "                                            \
  "THEN floor(extract(epoch FROM previous_secret_expires_at))::bigint END, failure_streak, " \
  "CASE WHEN circuit_open_until > now() "                                                    \
  "THEN ceil(extract(epoch FROM circuit_open_until))::bigint END, "                          \
  "floor(extract(epoch FROM created_at))::bigint, floor(extract(epoch FROM updated_at))::bigint"

// Inserts nothing when the merchant has $10 endpoints already (a cap, not
// exact under concurrent creates) or the Idempotency-Key was used.
constexpr db::Statement kInsertEndpoint{
    "webhooks.insert_endpoint",
    "INSERT INTO webhook_endpoints (id, merchant_id, url, description, enabled_events, status, "
    "secret_sealed, idempotency_key, request_hash, after_event_seq, created_at, updated_at) "
    "SELECT $1, $2, $3, $4, $5::text[], $6, $7, $8, $9, COALESCE(pg_sequence_last_value("
    "pg_get_serial_sequence('events', 'seq')::regclass), 0), now(), now() "
    "WHERE (SELECT count(*) FROM webhook_endpoints WHERE merchant_id = $2) < $10 "
    "ON CONFLICT (merchant_id, idempotency_key) "
    "WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING " ENDPOINT_COLUMNS};

constexpr db::Statement kFindByKey{"webhooks.find_by_idempotency_key",
                                   "SELECT " ENDPOINT_COLUMNS
                                   ", request_hash = $3 FROM webhook_endpoints "
                                   "WHERE merchant_id = $1 AND idempotency_key = $2"};

constexpr db::Statement kFindEndpoint{"webhooks.find_endpoint",
                                      "SELECT " ENDPOINT_COLUMNS
                                      " FROM webhook_endpoints WHERE merchant_id = $1 AND id = $2"};

// $1 = '' lists every merchant's (the CLI). The cursor's row is looked up
// by id within the same merchant scope.
constexpr db::Statement kListEndpoints{
    "webhooks.list_endpoints",
    "SELECT " ENDPOINT_COLUMNS
    " FROM webhook_endpoints w WHERE ($1 = '' OR merchant_id = $1) AND ($2::text IS NULL OR "
    "(created_at, id) < (SELECT created_at, id FROM webhook_endpoints c WHERE c.id = $2 AND "
    "($1 = '' OR c.merchant_id = $1))) ORDER BY created_at DESC, id DESC LIMIT $3"};

constexpr db::Statement kEndpointExists{
    "webhooks.endpoint_exists",
    "SELECT 1 FROM webhook_endpoints WHERE id = $2 AND ($1 = '' OR merchant_id = $1)"};

constexpr db::Statement kUpdateEndpoint{
    "webhooks.update_endpoint",
    "UPDATE webhook_endpoints SET url = COALESCE($3, url), "
    "description = COALESCE($4, description), "
    "enabled_events = COALESCE($5::text[], enabled_events), "
    "status = CASE WHEN $6::boolean IS NULL THEN status WHEN $6::boolean THEN 'enabled' "
    "ELSE 'disabled' END, "
    "disabled_reason = CASE WHEN $6::boolean IS NULL THEN disabled_reason "
    "WHEN $6::boolean THEN NULL ELSE 'disabled by the merchant' END, "
    "failure_streak = CASE WHEN $6::boolean THEN 0 ELSE failure_streak END, "
    "circuit_open_until = CASE WHEN $6::boolean THEN NULL ELSE circuit_open_until END, "
    "updated_at = now() WHERE merchant_id = $1 AND id = $2 RETURNING " ENDPOINT_COLUMNS};

constexpr db::Statement kDeleteEndpoint{
    "webhooks.delete_endpoint", "DELETE FROM webhook_endpoints WHERE merchant_id = $1 AND id = $2"};

constexpr db::Statement kRotateSecret{
    "webhooks.rotate_secret",
    "UPDATE webhook_endpoints SET "
    "older_secret_sealed = CASE WHEN previous_secret_expires_at > now() "
    "THEN previous_secret_sealed END, "
    "older_secret_expires_at = CASE WHEN previous_secret_expires_at > now() "
    "THEN previous_secret_expires_at END, "
    "previous_secret_sealed = secret_sealed, "
    "previous_secret_expires_at = now() + $4::bigint * interval '1 second', secret_sealed = $3, "
    "updated_at = now() WHERE merchant_id = $1 AND id = $2 RETURNING " ENDPOINT_COLUMNS};

constexpr db::Statement kListSealed{
    "webhooks.list_sealed",
    "SELECT id, secret_sealed, previous_secret_sealed, older_secret_sealed "
    "FROM webhook_endpoints WHERE id > $1 ORDER BY id LIMIT $2"};

constexpr db::Statement kReseal{
    "webhooks.reseal",
    "UPDATE webhook_endpoints SET secret_sealed = $5, previous_secret_sealed = $6, "
    "older_secret_sealed = $7 WHERE id = $1 AND secret_sealed = $2 "
    "AND previous_secret_sealed IS NOT DISTINCT FROM $3 "
    "AND older_secret_sealed IS NOT DISTINCT FROM $4"};

constexpr db::Statement kAsyncCommit{"webhooks.async_commit",
                                     "SET LOCAL synchronous_commit TO off"};

constexpr db::Statement kTryRouterLock{"webhooks.router_try_lock",
                                       "SELECT pg_try_advisory_xact_lock($1)"};

// Oldest unrouted events first (events_webhooks_unrouted). An endpoint gets
// the events whose seq was drawn after it was created (its after_event_seq,
// the sequence's last value then): not the history before it existed. A
// sequence, not timestamps: no clock of any instance is compared with the
// database's, and no precision is lost.
constexpr db::Statement kRoute{
    "webhooks.route",
    "WITH batch AS (SELECT seq, id, merchant_id, type, subject, created_at FROM events "
    "WHERE webhooks_routed_at IS NULL ORDER BY seq LIMIT $1), "
    "routed AS (UPDATE events e SET webhooks_routed_at = now() FROM batch b "
    "WHERE e.seq = b.seq RETURNING 1), "
    "made AS (INSERT INTO webhook_deliveries (endpoint_id, event_id, event_seq, event_type, "
    "subject, next_attempt_at) SELECT w.id, b.id, b.seq, b.type, b.subject, now() "
    "FROM batch b JOIN webhook_endpoints w ON w.merchant_id = b.merchant_id "
    "WHERE w.status = 'enabled' AND b.seq > w.after_event_seq "
    "AND ('*' = ANY (w.enabled_events) OR b.type = ANY (w.enabled_events)) RETURNING 1) "
    "SELECT (SELECT count(*) FROM routed), (SELECT count(*) FROM made)"};

// The endpoints to claim for, locked until the claim's transaction ends:
// another instance skips them. $1 endpoints looked at.
constexpr db::Statement kLockEndpoints{
    "webhooks.lock_endpoints",
    "SELECT w.id FROM webhook_endpoints w WHERE w.status = 'enabled' "
    "AND (w.circuit_open_until IS NULL OR w.circuit_open_until <= now()) "
    "AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = w.id "
    "AND d.state = 'pending' AND d.next_attempt_at <= now() AND (d.lease_expires_at IS NULL "
    "OR d.lease_expires_at <= now())) ORDER BY w.last_claimed_at NULLS FIRST, w.id LIMIT $1 "
    "FOR UPDATE OF w SKIP LOCKED"};

// Run as a statement of its own after kLockEndpoints, so that its snapshot
// is taken with the endpoints locked and sees every claim committed for them
// (in one statement, a claim that committed while the locks were awaited
// would be invisible to the rest of it, and its deliveries claimed twice).
// $1 owner, $2 max in all, $3 per endpoint, $4 breaker threshold, $5 lease
// (ms), $6 the locked endpoints, $7 per merchant (in flight to all its
// endpoints: exact within a claim, approximate between instances claiming
// for two endpoints of one merchant at once). A delivery is a candidate only when it is
// the earliest pending delivery of its payment (subject) to its endpoint, in
// flight or not: a first-row lookup on webhook_deliveries_order, whatever
// the table's statistics say (as NOT EXISTS, a plan made before the new
// table was analysed scanned it once per candidate: seconds at a backlog of
// 10,000). Candidates are read in webhook_deliveries_due's order (endpoint,
// next attempt, id), so the scan stops at the first `free` that qualify
// instead of filtering and sorting the endpoint's whole backlog. The UPDATE
// re-checks the lease on the row it changes, as a last guard.
constexpr db::Statement kClaim{
    "webhooks.claim",
    "WITH room AS (SELECT w.id, w.merchant_id, (CASE WHEN w.failure_streak >= $4 THEN 1 "
    "ELSE $3 END) - (SELECT count(*) FROM webhook_deliveries l WHERE l.endpoint_id = w.id "
    "AND l.state = 'pending' AND l.lease_owner IS NOT NULL AND l.lease_expires_at > now()) "
    "AS free, $7 - (SELECT count(*) FROM webhook_endpoints mw JOIN webhook_deliveries l "
    "ON l.endpoint_id = mw.id WHERE mw.merchant_id = w.merchant_id AND l.state = 'pending' "
    "AND l.lease_owner IS NOT NULL AND l.lease_expires_at > now()) AS merchant_free "
    "FROM webhook_endpoints w WHERE w.id = ANY ($6::text[])), "
    "cand AS (SELECT d.id, d.next_attempt_at, r.merchant_id, r.merchant_free "
    "FROM room r CROSS JOIN LATERAL "
    "(SELECT d.id, d.next_attempt_at FROM webhook_deliveries d WHERE d.endpoint_id = r.id "
    "AND d.state = 'pending' AND d.next_attempt_at <= now() AND (d.lease_expires_at IS NULL "
    "OR d.lease_expires_at <= now()) AND (d.event_seq, d.id) = (SELECT p.event_seq, p.id "
    "FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id AND p.subject = d.subject "
    "AND p.state = 'pending' ORDER BY p.event_seq, p.id LIMIT 1) "
    "ORDER BY d.next_attempt_at, d.id "
    "LIMIT greatest(r.free, 0)) d), "
    "chosen AS (SELECT id FROM (SELECT id, next_attempt_at, merchant_free, row_number() "
    "OVER (PARTITION BY merchant_id ORDER BY next_attempt_at, id) AS n FROM cand) m "
    "WHERE n <= merchant_free ORDER BY next_attempt_at, id LIMIT $2), "
    "touched AS (UPDATE webhook_endpoints w SET last_claimed_at = now() "
    "WHERE w.id = ANY ($6::text[]) RETURNING 1), "
    "claimed AS (UPDATE webhook_deliveries d SET lease_owner = $1, "
    "lease_expires_at = now() + $5::bigint * interval '1 millisecond', "
    "attempts = d.attempts + 1 FROM chosen c WHERE d.id = c.id AND d.state = 'pending' "
    "AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= now()) RETURNING d.id, "
    "d.endpoint_id, d.event_id, d.event_type, d.subject, d.event_seq, d.attempts) "
    "SELECT c.id, c.endpoint_id, w.url, w.secret_sealed, CASE WHEN "
    "w.previous_secret_expires_at > now() THEN w.previous_secret_sealed END, CASE WHEN "
    "w.older_secret_expires_at > now() THEN w.older_secret_sealed END, c.event_id, "
    "c.event_type, c.subject, c.event_seq, c.attempts, e.payload "
    "FROM claimed c JOIN webhook_endpoints w ON w.id = c.endpoint_id "
    "LEFT JOIN events e ON e.id = c.event_id ORDER BY c.event_seq"};

constexpr db::Statement kRelease{
    "webhooks.release",
    "UPDATE webhook_deliveries SET lease_owner = NULL, lease_expires_at = NULL, "
    "attempts = attempts - 1 WHERE id = ANY ($2::bigint[]) AND lease_owner = $1 "
    "AND state = 'pending'"};

// $1 delivery, $2 owner, $3 outcome, $4 retry in (ms), $5 status code (0:
// none), $6 latency (ms), $7 error, $8 breaker threshold, $9 breaker base
// (ms), $10 breaker max (ms), $11 endpoint pause (ms), $12 whether the
// failure is the endpoint's, $13 when the attempt began (Unix ms). The
// endpoint's row is written only when its breaker or status changes: a
// success on a healthy endpoint leaves it alone, so that the attempts in
// flight to one endpoint do not queue on its row lock (nor bloat it).
constexpr db::Statement kRecord{
    "webhooks.record_attempt",
    "WITH d AS (UPDATE webhook_deliveries SET "
    "state = CASE $3::text WHEN 'succeeded' THEN 'succeeded' WHEN 'retry' THEN 'pending' "
    "ELSE 'failed' END, "
    "next_attempt_at = CASE WHEN $3::text = 'retry' "
    "THEN now() + $4::bigint * interval '1 millisecond' ELSE next_attempt_at END, "
    "finished_at = CASE WHEN $3::text = 'retry' THEN NULL ELSE now() END, "
    "lease_owner = NULL, lease_expires_at = NULL "
    "WHERE id = $1 AND lease_owner = $2 AND state = 'pending' "
    "RETURNING id, endpoint_id, event_id, state, next_attempt_at), "
    "a AS (INSERT INTO webhook_attempts (delivery_id, endpoint_id, event_id, attempted_at, "
    "status_code, latency_ms, error, next_retry_at) SELECT id, endpoint_id, event_id, "
    "timestamptz 'epoch' + $13::bigint * interval '1 millisecond', NULLIF($5::integer, 0), "
    "$6::integer, NULLIF($7::text, ''), CASE WHEN state = 'pending' THEN next_attempt_at END "
    "FROM d RETURNING 1), "
    "e AS (UPDATE webhook_endpoints w SET "
    "failure_streak = CASE WHEN $3::text = 'succeeded' THEN 0 WHEN NOT $12::boolean "
    "THEN w.failure_streak ELSE w.failure_streak + 1 END, "
    "circuit_open_until = CASE WHEN $3::text = 'succeeded' THEN NULL WHEN NOT $12::boolean "
    "THEN w.circuit_open_until ELSE GREATEST(w.circuit_open_until, "
    "CASE WHEN w.failure_streak + 1 >= $8::integer THEN now() + least($9::float8 * "
    "power(2, least(w.failure_streak + 1 - $8::integer, 20)), $10::float8) "
    "* interval '1 millisecond' END, "
    "CASE WHEN $11::bigint > 0 THEN now() + $11::bigint * interval '1 millisecond' END) END, "
    "status = CASE WHEN $3::text = 'gone' THEN 'disabled' ELSE w.status END, "
    "disabled_reason = CASE WHEN $3::text = 'gone' THEN 'the endpoint answered 410 Gone' "
    "ELSE w.disabled_reason END, "
    "updated_at = CASE WHEN $3::text = 'gone' THEN now() ELSE w.updated_at END "
    "FROM d WHERE w.id = d.endpoint_id AND CASE WHEN $3::text = 'succeeded' "
    "THEN w.failure_streak <> 0 OR w.circuit_open_until IS NOT NULL "
    "WHEN $3::text = 'gone' THEN true ELSE $12::boolean END RETURNING 1) "
    "SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM a), (SELECT count(*) FROM e)"};

constexpr db::Statement kListAttempts{
    "webhooks.list_attempts",
    "SELECT id, endpoint_id, event_id, floor(extract(epoch FROM attempted_at) * 1000)::bigint, "
    "status_code, latency_ms, error, floor(extract(epoch FROM next_retry_at) * 1000)::bigint "
    "FROM webhook_attempts WHERE endpoint_id = $1 AND ($2::bigint IS NULL OR id < $2) "
    "ORDER BY id DESC LIMIT $3"};

constexpr db::Statement kResend{
    "webhooks.resend",
    "WITH ev AS (SELECT seq, id, merchant_id, type, subject FROM events "
    "WHERE ($1 = '' OR merchant_id = $1) AND id = $2), "
    "made AS (INSERT INTO webhook_deliveries (endpoint_id, event_id, event_seq, event_type, "
    "subject, next_attempt_at) SELECT w.id, ev.id, ev.seq, ev.type, ev.subject, now() FROM ev "
    "JOIN webhook_endpoints w ON w.merchant_id = ev.merchant_id WHERE CASE WHEN $3::text IS NULL "
    "THEN "
    "w.status = 'enabled' AND ('*' = ANY (w.enabled_events) OR ev.type = ANY "
    "(w.enabled_events)) ELSE w.id = $3 END RETURNING 1) "
    "SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM made)"};

constexpr db::Statement kStats{
    "webhooks.stats",
    "SELECT endpoint_id, count(*), extract(epoch FROM now() - min(created_at))::float8 "
    "FROM webhook_deliveries WHERE state = 'pending' GROUP BY endpoint_id ORDER BY endpoint_id"};

constexpr db::Statement kUnrouted{"webhooks.unrouted",
                                  "SELECT count(*) FROM events WHERE webhooks_routed_at IS NULL"};

constexpr db::Statement kPurge{
    "webhooks.purge",
    "WITH victims AS (SELECT id FROM webhook_deliveries WHERE state <> 'pending' AND "
    "finished_at < timestamptz 'epoch' + $1::bigint * interval '1 millisecond' "
    "ORDER BY finished_at LIMIT $2) "
    "DELETE FROM webhook_deliveries d USING victims v WHERE d.id = v.id"};

WebhookEndpointRow EndpointFromRow(const db::Rows& rows, int r) {
  WebhookEndpointRow e;
  e.id = rows.String(r, 0);
  e.merchant_id = rows.String(r, 1);
  e.url = rows.String(r, 2);
  e.description = rows.String(r, 3);
  const auto events = nlohmann::json::parse(rows.Text(r, 4), nullptr, /*allow_exceptions=*/false);
  if (events.is_array()) {
    for (const auto& t : events) {
      if (t.is_string()) e.enabled_events.push_back(t.get<std::string>());
    }
  }
  e.status = rows.String(r, 5);
  e.disabled_reason = rows.OptionalString(r, 6);
  e.secret_sealed = rows.String(r, 7);
  e.previous_secret_sealed = rows.OptionalString(r, 8);
  e.previous_secret_expires = rows.OptionalInt64(r, 9);
  e.failure_streak = static_cast<int>(rows.Int64(r, 10));
  e.circuit_open_until = rows.OptionalInt64(r, 11);
  e.created = rows.Int64(r, 12);
  e.updated = rows.Int64(r, 13);
  return e;
}

payments::Result<std::optional<WebhookEndpointRow>> OneEndpoint(payments::Result<db::Rows> rows) {
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<WebhookEndpointRow>();
  return std::optional<WebhookEndpointRow>(EndpointFromRow(*rows, 0));
}

std::string_view OutcomeName(DeliveryOutcome o) {
  switch (o) {
    case DeliveryOutcome::kSucceeded:
      return "succeeded";
    case DeliveryOutcome::kRetry:
      return "retry";
    case DeliveryOutcome::kGiveUp:
      return "failed";
    case DeliveryOutcome::kGone:
      return "gone";
  }
  return "failed";
}

}  // namespace

payments::Result<InsertedEndpoint> InsertWebhookEndpoint(
    db::Connection& conn, const WebhookEndpointRow& row,
    const std::optional<std::string>& idempotency_key, const std::string& request_hash,
    int max_per_merchant) {
  auto rows = conn.Run(kInsertEndpoint, db::Params()
                                            .Add(row.id)
                                            .Add(row.merchant_id)
                                            .Add(row.url)
                                            .Add(row.description)
                                            .Add(db::TextArray(row.enabled_events))
                                            .Add(row.status)
                                            .Add(row.secret_sealed)
                                            .Add(idempotency_key)
                                            .Add(request_hash)
                                            .Add(max_per_merchant));
  if (!rows) return std::unexpected(rows.error());
  if (!rows->empty()) return InsertedEndpoint{.row = EndpointFromRow(*rows, 0)};
  // The key was used (the insert waited for the first request's commit), or
  // the merchant has as many endpoints as it may.
  if (!idempotency_key) return InsertedEndpoint{.limit_reached = true};
  auto found = conn.Run(kFindByKey,
                        db::Params().Add(row.merchant_id).Add(idempotency_key).Add(request_hash));
  if (!found) return std::unexpected(found.error());
  if (found->empty()) return InsertedEndpoint{.limit_reached = true};
  return InsertedEndpoint{
      .row = EndpointFromRow(*found, 0), .replayed = true, .same_request = found->Bool(0, 14)};
}

payments::Result<std::optional<WebhookEndpointRow>> FindWebhookEndpoint(
    db::Connection& conn, const std::string& merchant_id, const std::string& id) {
  return OneEndpoint(conn.Run(kFindEndpoint, db::Params().Add(merchant_id).Add(id)));
}

payments::Result<bool> WebhookEndpointExists(db::Connection& conn, const std::string& merchant_id,
                                             const std::string& id) {
  auto rows = conn.Run(kEndpointExists, db::Params().Add(merchant_id).Add(id));
  if (!rows) return std::unexpected(rows.error());
  return !rows->empty();
}

payments::Result<std::optional<WebhookEndpointPage>> ListWebhookEndpoints(
    db::Connection& conn, const std::string& merchant_id,
    const std::optional<std::string>& starting_after, int limit) {
  if (starting_after) {
    auto exists = WebhookEndpointExists(conn, merchant_id, *starting_after);
    if (!exists) return std::unexpected(exists.error());
    if (!*exists) return std::optional<WebhookEndpointPage>();
  }
  auto rows =
      conn.Run(kListEndpoints, db::Params().Add(merchant_id).Add(starting_after).Add(limit + 1));
  if (!rows) return std::unexpected(rows.error());
  WebhookEndpointPage page;
  for (int r = 0; r < rows->size() && r < limit; ++r) {
    page.endpoints.push_back(EndpointFromRow(*rows, r));
  }
  page.has_more = rows->size() > limit;
  return std::optional<WebhookEndpointPage>(std::move(page));
}

payments::Result<std::optional<WebhookEndpointRow>> UpdateWebhookEndpoint(
    db::Connection& conn, const std::string& merchant_id, const std::string& id,
    const WebhookEndpointChanges& changes) {
  db::Params params;
  params.Add(merchant_id).Add(id).Add(changes.url).Add(changes.description);
  if (changes.enabled_events) {
    params.Add(db::TextArray(*changes.enabled_events));
  } else {
    params.AddNull();
  }
  params.Add(changes.enabled);
  return OneEndpoint(conn.Run(kUpdateEndpoint, params));
}

payments::Result<bool> DeleteWebhookEndpoint(db::Connection& conn, const std::string& merchant_id,
                                             const std::string& id) {
  auto rows = conn.Run(kDeleteEndpoint, db::Params().Add(merchant_id).Add(id));
  if (!rows) return std::unexpected(rows.error());
  return rows->affected() == 1;
}

payments::Result<std::optional<WebhookEndpointRow>> RotateWebhookSecret(
    db::Connection& conn, const std::string& merchant_id, const std::string& id,
    const std::string& new_sealed, std::chrono::seconds overlap) {
  return OneEndpoint(conn.Run(kRotateSecret, db::Params()
                                                 .Add(merchant_id)
                                                 .Add(id)
                                                 .Add(new_sealed)
                                                 .Add(static_cast<int64_t>(overlap.count()))));
}

payments::Result<std::vector<SealedSecrets>> ListSealedSecrets(db::Connection& conn,
                                                               const std::string& after_id,
                                                               int limit) {
  auto rows = conn.Run(kListSealed, db::Params().Add(after_id).Add(limit));
  if (!rows) return std::unexpected(rows.error());
  std::vector<SealedSecrets> out;
  for (int r = 0; r < rows->size(); ++r) {
    out.push_back({rows->String(r, 0), rows->String(r, 1), rows->OptionalString(r, 2),
                   rows->OptionalString(r, 3)});
  }
  return out;
}

payments::Result<bool> ResealSecrets(db::Connection& conn, const SealedSecrets& before,
                                     const SealedSecrets& after) {
  auto rows = conn.Run(kReseal, db::Params()
                                    .Add(before.endpoint_id)
                                    .Add(before.secret_sealed)
                                    .Add(before.previous_secret_sealed)
                                    .Add(before.older_secret_sealed)
                                    .Add(after.secret_sealed)
                                    .Add(after.previous_secret_sealed)
                                    .Add(after.older_secret_sealed));
  if (!rows) return std::unexpected(rows.error());
  return rows->affected() == 1;
}

payments::Status CommitWithoutWaitingForFlush(db::Connection& conn) {
  auto rows = conn.Run(kAsyncCommit);
  if (!rows) return std::unexpected(rows.error());
  return {};
}

payments::Result<bool> TryRouterLock(db::Connection& conn) {
  auto rows = conn.Run(kTryRouterLock, db::Params().Add(kWebhookRouterLockKey));
  if (!rows) return std::unexpected(rows.error());
  return rows->Bool(0, 0);
}

payments::Result<RouteResult> RouteEvents(db::Connection& conn, int limit) {
  auto rows = conn.Run(kRoute, db::Params().Add(limit));
  if (!rows) return std::unexpected(rows.error());
  return RouteResult{.events = rows->Int64(0, 0), .deliveries = rows->Int64(0, 1)};
}

payments::Result<std::vector<ClaimedDelivery>> ClaimDeliveries(db::Connection& conn,
                                                               const ClaimOptions& options) {
  auto locked = conn.Run(kLockEndpoints, db::Params().Add(options.endpoints));
  if (!locked) return std::unexpected(locked.error());
  std::vector<std::string> endpoints;
  for (int r = 0; r < locked->size(); ++r) endpoints.push_back(locked->String(r, 0));
  if (endpoints.empty()) return std::vector<ClaimedDelivery>{};
  auto rows = conn.Run(kClaim, db::Params()
                                   .Add(options.owner)
                                   .Add(options.max)
                                   .Add(options.per_endpoint)
                                   .Add(options.breaker_threshold)
                                   .Add(static_cast<int64_t>(options.lease.count()))
                                   .Add(db::TextArray(endpoints))
                                   .Add(options.per_merchant));
  if (!rows) return std::unexpected(rows.error());
  std::vector<ClaimedDelivery> out;
  for (int r = 0; r < rows->size(); ++r) {
    out.push_back({.id = rows->Int64(r, 0),
                   .endpoint_id = rows->String(r, 1),
                   .url = rows->String(r, 2),
                   .secret_sealed = rows->String(r, 3),
                   .previous_secret_sealed = rows->OptionalString(r, 4),
                   .older_secret_sealed = rows->OptionalString(r, 5),
                   .event_id = rows->String(r, 6),
                   .event_type = rows->String(r, 7),
                   .subject = rows->String(r, 8),
                   .event_seq = rows->Int64(r, 9),
                   .attempts = static_cast<int>(rows->Int64(r, 10)),
                   .payload = rows->OptionalString(r, 11)});
  }
  return out;
}

payments::Status ReleaseClaims(db::Connection& conn, const std::string& owner,
                               const std::vector<int64_t>& ids) {
  if (ids.empty()) return {};
  auto rows = conn.Run(kRelease, db::Params().Add(owner).Add(db::Int64Array(ids)));
  if (!rows) return std::unexpected(rows.error());
  return {};
}

payments::Result<bool> RecordAttempt(db::Connection& conn, const AttemptRecord& rec) {
  auto rows = conn.Run(kRecord, db::Params()
                                    .Add(rec.delivery_id)
                                    .Add(rec.owner)
                                    .Add(OutcomeName(rec.outcome))
                                    .Add(static_cast<int64_t>(rec.retry_in.count()))
                                    .Add(rec.status_code)
                                    .Add(rec.latency_ms)
                                    .Add(rec.error)
                                    .Add(rec.breaker_threshold)
                                    .Add(std::to_string(rec.breaker_base.count()))
                                    .Add(std::to_string(rec.breaker_max.count()))
                                    .Add(static_cast<int64_t>(rec.endpoint_pause.count()))
                                    .Add(rec.endpoint_failed)
                                    .Add(rec.started_ms));
  if (!rows) return std::unexpected(rows.error());
  return rows->Int64(0, 0) == 1;
}

payments::Result<WebhookAttemptPage> ListWebhookAttempts(db::Connection& conn,
                                                         const std::string& endpoint_id,
                                                         std::optional<int64_t> starting_after,
                                                         int limit) {
  auto rows =
      conn.Run(kListAttempts, db::Params().Add(endpoint_id).Add(starting_after).Add(limit + 1));
  if (!rows) return std::unexpected(rows.error());
  WebhookAttemptPage page;
  for (int r = 0; r < rows->size() && r < limit; ++r) {
    page.attempts.push_back({.id = rows->Int64(r, 0),
                             .endpoint_id = rows->String(r, 1),
                             .event_id = rows->String(r, 2),
                             .attempted_at_ms = rows->Int64(r, 3),
                             .status_code = rows->OptionalInt64(r, 4),
                             .latency_ms = rows->Int64(r, 5),
                             .error = rows->OptionalString(r, 6),
                             .next_retry_at_ms = rows->OptionalInt64(r, 7)});
  }
  page.has_more = rows->size() > limit;
  return page;
}

payments::Result<std::optional<int64_t>> ResendEvent(
    db::Connection& conn, const std::string& merchant_id, const std::string& event_id,
    const std::optional<std::string>& endpoint_id) {
  auto rows = conn.Run(kResend, db::Params().Add(merchant_id).Add(event_id).Add(endpoint_id));
  if (!rows) return std::unexpected(rows.error());
  if (rows->Int64(0, 0) == 0) return std::optional<int64_t>();
  return std::optional<int64_t>(rows->Int64(0, 1));
}

payments::Result<WebhookStats> ReadWebhookStats(db::Connection& conn) {
  auto rows = conn.Run(kStats);
  if (!rows) return std::unexpected(rows.error());
  WebhookStats stats;
  for (int r = 0; r < rows->size(); ++r) {
    stats.endpoints.push_back({.endpoint_id = rows->String(r, 0),
                               .pending = rows->Int64(r, 1),
                               .oldest_age_seconds = rows->Double(r, 2)});
    stats.pending += rows->Int64(r, 1);
  }
  auto unrouted = conn.Run(kUnrouted);
  if (!unrouted) return std::unexpected(unrouted.error());
  stats.unrouted_events = unrouted->Int64(0, 0);
  return stats;
}

payments::Result<int64_t> PurgeWebhookDeliveries(db::Connection& conn,
                                                 std::chrono::system_clock::time_point cutoff,
                                                 int limit) {
  const int64_t cutoff_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(cutoff.time_since_epoch()).count();
  auto rows = conn.Run(kPurge, db::Params().Add(cutoff_ms).Add(limit));
  if (!rows) return std::unexpected(rows.error());
  return rows->affected();
}

}  // namespace payments::store
