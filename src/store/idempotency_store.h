// Idempotency records (the IETF Idempotency-Key draft, Stripe's semantics).
// A request first claims its (merchant, key) with a random claim token and a
// lock that expires; it then does its work and, in the same transaction as
// its effects, stores its response against the token. A claim whose holder
// died is taken over once its lock expires; records older than 24 hours count
// as absent and are purged — except one holding an interim 202, whose
// processor call is still pending (docs/payment-states.md): it stays until
// its final reply replaces it, so a retry after a day still finds it. Functions take the caller's
// connection, except the claim, which takes what it shares. Thread-compatible.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/error.h"
#include "db/connection.h"
#include "db/group_commit.h"
#include "db/pool.h"

namespace payments::store {

struct IdempotencyRequest {
  std::string merchant_id;
  std::string key;
  std::string method;
  std::string path;
  std::string request_hash;
  // The hash under the fingerprint key before a rotation (empty: none): a
  // record written under it still answers a retry.
  std::string previous_request_hash{};
};

struct ClaimResult {
  enum class Kind {
    kClaimed,     // ours: go ahead
    kCompleted,   // done before: replay response_status/response_body
    kInProgress,  // another request holds it: 409
    kMismatch,    // same key, different request: 422
  };
  Kind kind = Kind::kClaimed;
  int response_status = 0;
  std::string response_body;
};

// Claims the key in a transaction of its own, in one round trip, shared
// with other requests' claims (`claims` commits without waiting for the WAL
// flush: a claim lost in a crash only lets a retry run the request again,
// which the processor's idempotency key makes safe, and the effects'
// synchronous COMMIT flushes the claim with them). When the key is not
// ours, reads what holds it on a pooled connection. Claiming again with the
// same token finds the claim ours, so a claim whose answer was lost is
// retried once.
payments::Result<ClaimResult> ClaimIdempotencyKey(db::GroupCommitter& claims, db::Pool& pool,
                                                  const IdempotencyRequest& request,
                                                  const std::string& claim_token,
                                                  std::chrono::milliseconds lock);

// Stores the response if the claim is still ours; false when it was lost
// (taken over after its lock expired), in which case the caller must roll back.
payments::Result<bool> CompleteIdempotencyKey(db::Connection& conn, const std::string& merchant_id,
                                              const std::string& key,
                                              const std::string& claim_token, int status,
                                              const std::string& body);

// CompleteIdempotencyKey as a batch item: it fails (IsClaimLost) instead of
// touching nothing when the claim is no longer ours, so the transaction it is
// part of rolls back.
db::BatchItem CompleteIdempotencyKeyItem(const std::string& merchant_id, const std::string& key,
                                         const std::string& claim_token, int status,
                                         const std::string& body);
bool IsClaimLost(const Error& error);

// The reply stored under a completed key, or nullopt (none, or not yet).
struct StoredReply {
  int status = 0;
  std::string body;
};
payments::Result<std::optional<StoredReply>> FindStoredReply(db::Connection& conn,
                                                             const std::string& merchant_id,
                                                             const std::string& key);

// Replaces a completed key's interim reply (status 202: the request's
// processor call had no known outcome yet) with the final one, once that is
// known; a key whose reply is final, or gone, is left as it is.
db::BatchItem ReplaceInterimReplyItem(const std::string& merchant_id, const std::string& key,
                                      int status, const std::string& body);

// Gives an unfinished claim up, so a retry can run at once.
payments::Status ReleaseIdempotencyKey(db::Connection& conn, const std::string& merchant_id,
                                       const std::string& key, const std::string& claim_token);

// Deletes up to `batch` records older than `ttl`; returns how many.
payments::Result<int64_t> PurgeIdempotencyKeys(db::Connection& conn, std::chrono::seconds ttl,
                                               int batch);

}  // namespace payments::store
