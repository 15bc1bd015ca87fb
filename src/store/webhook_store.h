// Webhook endpoints, the deliveries of events to them, and every attempt
// (migrations/0011_webhooks.sql; docs/webhooks.md).
//
// - Endpoints belong to one merchant; every lookup is by merchant and id.
// - The router (RouteEvents) takes the oldest events not yet routed, by seq,
//   makes a delivery for each enabled endpoint of the event's merchant that
//   subscribes to its type and was created before it, and marks the events
//   routed, in one statement. One router at a time (TryRouterLock, a
//   transaction-level advisory lock), so a payment's deliveries are made in
//   its events' order: events of one payment commit in seq order, because
//   every writer of a payment holds its row.
// - ClaimDeliveries leases due deliveries to one instance: per endpoint at
//   most `per_endpoint` in flight (one while its circuit is half open) and
//   per merchant at most `per_merchant` over all its endpoints, none
//   while its circuit is open, and never a payment's event while an earlier
//   one of the same payment is still pending for that endpoint. Endpoints
//   are locked FOR UPDATE SKIP LOCKED first, in a statement of their own,
//   so two instances never claim for the same endpoint at once and the
//   claim that follows sees every earlier claim for them. Run it in a
//   transaction. A lease that runs out (a killed or
//   paused instance) makes the delivery claimable again.
// - RecordAttempt writes one attempt's outcome only while the lease is still
//   the caller's.
//
// Functions take the caller's connection; thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/connection.h"

namespace payments::store {

struct WebhookEndpointRow {
  std::string id{};  // we_…
  std::string merchant_id{};
  std::string url{};
  std::string description{};
  std::vector<std::string> enabled_events{};  // types, or "*"
  std::string status{};                       // "enabled" | "disabled"
  std::optional<std::string> disabled_reason{};
  std::string secret_sealed{};
  std::optional<std::string> previous_secret_sealed{};  // only while it still signs
  std::optional<int64_t> previous_secret_expires{};     // Unix seconds
  int failure_streak = 0;
  std::optional<int64_t> circuit_open_until{};  // Unix seconds
  int64_t created = 0;                          // Unix seconds
  int64_t updated = 0;
};

// Inserts the row (its created/updated times are the database's now) and
// returns it as stored. With an Idempotency-Key, a key the merchant used
// before returns that endpoint instead, marked replayed, with whether the
// request hash matched. Nothing is inserted (limit_reached) when the
// merchant has max_per_merchant endpoints already.
struct InsertedEndpoint {
  WebhookEndpointRow row{};
  bool replayed = false;
  bool same_request = true;
  bool limit_reached = false;
};
payments::Result<InsertedEndpoint> InsertWebhookEndpoint(
    db::Connection& conn, const WebhookEndpointRow& row,
    const std::optional<std::string>& idempotency_key, const std::string& request_hash,
    int max_per_merchant);
payments::Result<std::optional<WebhookEndpointRow>> FindWebhookEndpoint(
    db::Connection& conn, const std::string& merchant_id, const std::string& id);
// Whether the endpoint exists (merchant_id empty: any merchant's).
payments::Result<bool> WebhookEndpointExists(db::Connection& conn, const std::string& merchant_id,
                                             const std::string& id);

struct WebhookEndpointPage {
  std::vector<WebhookEndpointRow> endpoints;  // newest first
  bool has_more = false;
};
// One merchant's endpoints (all merchants' when merchant_id is empty: the
// CLI). nullopt when starting_after names no endpoint of theirs.
payments::Result<std::optional<WebhookEndpointPage>> ListWebhookEndpoints(
    db::Connection& conn, const std::string& merchant_id,
    const std::optional<std::string>& starting_after, int limit);

struct WebhookEndpointChanges {
  std::optional<std::string> url;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> enabled_events;
  std::optional<bool> enabled;  // re-enabling clears the reason and the circuit
};
// The endpoint after the change; nullopt when the merchant has none of that id.
payments::Result<std::optional<WebhookEndpointRow>> UpdateWebhookEndpoint(
    db::Connection& conn, const std::string& merchant_id, const std::string& id,
    const WebhookEndpointChanges& changes);
// Deletes the endpoint with its deliveries and attempts; false when none.
payments::Result<bool> DeleteWebhookEndpoint(db::Connection& conn, const std::string& merchant_id,
                                             const std::string& id);
// Makes `new_sealed` the signing secret and the current one the previous,
// signing beside it until `overlap` has passed; a previous one still in
// force keeps signing too, until its own time is up (so a rotation repeated
// because its answer was lost drops no secret the merchant holds). nullopt
// when no such endpoint.
payments::Result<std::optional<WebhookEndpointRow>> RotateWebhookSecret(
    db::Connection& conn, const std::string& merchant_id, const std::string& id,
    const std::string& new_sealed, std::chrono::seconds overlap);

// The sealed secrets of endpoints after `after_id` (by id), for re-sealing
// them under a new key.
struct SealedSecrets {
  std::string endpoint_id{};
  std::string secret_sealed{};
  std::optional<std::string> previous_secret_sealed{};
  std::optional<std::string> older_secret_sealed{};
};
payments::Result<std::vector<SealedSecrets>> ListSealedSecrets(db::Connection& conn,
                                                               const std::string& after_id,
                                                               int limit);
// Replaces the sealed values if they are still `before` (a rotation in
// between wins); false when they changed.
payments::Result<bool> ResealSecrets(db::Connection& conn, const SealedSecrets& before,
                                     const SealedSecrets& after);

// For the dispatcher's own transactions (routing, claims, records): commits
// that do not wait for their WAL flush. A crash that loses one loses only a
// routing (the events are routed again), a claim (its delivery is claimed
// again) or a record (its delivery is attempted again): at least once holds,
// and a delivery stops costing two synchronous flushes. Inside a
// transaction.
payments::Status CommitWithoutWaitingForFlush(db::Connection& conn);

// --- Routing -------------------------------------------------------------------

inline constexpr int64_t kWebhookRouterLockKey = 0x7061792d77687274;  // "pay-whrt"
// pg_try_advisory_xact_lock: held until the caller's transaction ends.
payments::Result<bool> TryRouterLock(db::Connection& conn);

struct RouteResult {
  int64_t events = 0;      // marked routed
  int64_t deliveries = 0;  // made
};
payments::Result<RouteResult> RouteEvents(db::Connection& conn, int limit);

// --- Deliveries ----------------------------------------------------------------

struct ClaimOptions {
  std::string owner;  // this instance's id
  int max = 16;       // deliveries in all
  int per_endpoint = 4;
  int per_merchant = 8;       // in flight to all of one merchant's endpoints
  int breaker_threshold = 5;  // failures in a row after which an endpoint gets one at a time
  std::chrono::milliseconds lease{60000};
  int endpoints = 64;  // endpoints looked at per claim
};

struct ClaimedDelivery {
  int64_t id = 0;
  std::string endpoint_id{};
  std::string url{};
  std::string secret_sealed{};
  std::optional<std::string> previous_secret_sealed{};  // still signing
  std::optional<std::string> older_secret_sealed{};     // still signing (a second rotation)
  std::string event_id{};
  std::string event_type{};
  std::string subject{};
  int64_t event_seq = 0;
  int attempts = 0;                      // including this one
  std::optional<std::string> payload{};  // nullopt: the event was purged
};
payments::Result<std::vector<ClaimedDelivery>> ClaimDeliveries(db::Connection& conn,
                                                               const ClaimOptions& options);

// Gives back claimed deliveries that were never attempted (an instance
// stopping): claimable again at once, their attempt not counted.
payments::Status ReleaseClaims(db::Connection& conn, const std::string& owner,
                               const std::vector<int64_t>& ids);

enum class DeliveryOutcome { kSucceeded, kRetry, kGiveUp, kGone };

struct AttemptRecord {
  int64_t delivery_id = 0;
  std::string owner{};
  std::string endpoint_id{};
  std::string event_id{};
  int status_code = 0;  // 0: no HTTP answer
  int64_t latency_ms = 0;
  std::string error{};  // empty on success
  DeliveryOutcome outcome = DeliveryOutcome::kSucceeded;
  std::chrono::milliseconds retry_in{0};        // kRetry
  std::chrono::milliseconds endpoint_pause{0};  // Retry-After: the whole endpoint waits
  int breaker_threshold = 5;
  std::chrono::milliseconds breaker_base{30000};
  std::chrono::milliseconds breaker_max{3600000};
  // False when the failure is not the endpoint's (its event was purged): its
  // failure streak and circuit stay as they are.
  bool endpoint_failed = true;
  int64_t started_ms = 0;  // Unix milliseconds when the attempt began
};
// False when the lease is no longer the owner's (it ran out and another
// instance claimed the delivery): nothing is written.
payments::Result<bool> RecordAttempt(db::Connection& conn, const AttemptRecord& record);

// --- Observability and control ----------------------------------------------------

struct WebhookAttemptRow {
  int64_t id = 0;
  std::string endpoint_id{};
  std::string event_id{};
  int64_t attempted_at_ms = 0;  // Unix milliseconds
  std::optional<int64_t> status_code{};
  int64_t latency_ms = 0;
  std::optional<std::string> error{};
  std::optional<int64_t> next_retry_at_ms{};
};
struct WebhookAttemptPage {
  std::vector<WebhookAttemptRow> attempts;  // newest first
  bool has_more = false;
};
// An endpoint's attempts, newest first, after the attempt `starting_after`.
payments::Result<WebhookAttemptPage> ListWebhookAttempts(db::Connection& conn,
                                                         const std::string& endpoint_id,
                                                         std::optional<int64_t> starting_after,
                                                         int limit);

// New deliveries of one of the merchant's events, due now: to `endpoint_id`
// when given (enabled or not subscribed, the merchant asked for it), else to
// every enabled endpoint subscribed to its type. nullopt when the merchant
// has no such event (merchant_id empty: any merchant's, for the CLI);
// otherwise how many deliveries were made.
payments::Result<std::optional<int64_t>> ResendEvent(db::Connection& conn,
                                                     const std::string& merchant_id,
                                                     const std::string& event_id,
                                                     const std::optional<std::string>& endpoint_id);

struct EndpointBacklog {
  std::string endpoint_id{};
  int64_t pending = 0;
  double oldest_age_seconds = 0;
};
struct WebhookStats {
  int64_t pending = 0;
  int64_t unrouted_events = 0;
  std::vector<EndpointBacklog> endpoints;  // those with pending deliveries
};
payments::Result<WebhookStats> ReadWebhookStats(db::Connection& conn);

// Deletes up to `limit` finished deliveries (and their attempts) finished
// before `cutoff`; call again while it returns `limit`.
payments::Result<int64_t> PurgeWebhookDeliveries(db::Connection& conn,
                                                 std::chrono::system_clock::time_point cutoff,
                                                 int limit);

}  // namespace payments::store
