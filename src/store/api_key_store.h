// API keys and their audit (migrations 0001 and 0005). A key is stored as its
// SHA-256 only, with a 12-character prefix ("sk_live_Ab12") for humans; the
// audit keeps the prefix, never the key or its hash. A key authenticates
// while it is not revoked and its expiry (set when it is rolled) is in the
// future, by the database's clock. Every statement that changes api_keys moves
// api_key_generation in its own transaction (a trigger), which running
// instances poll to drop their caches (service/api_keys.h).
//
// Functions take the caller's connection (inside its transaction for the
// writes). Thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/connection.h"

namespace payments::store {

struct ApiKeyRow {
  std::string id;
  std::string merchant_id;
  std::string key_prefix;
  std::string mode;        // "test" or "live"
  std::string created_at;  // ISO 8601, UTC
  std::optional<std::string> expires_at{};
  std::optional<std::string> revoked_at{};
  std::optional<std::string> revoked_by{};
};

// What authentication needs of a key that is valid now.
struct ActiveKey {
  std::string key_id;
  std::string merchant_id;
  std::string mode;
  // Until the key's expiry, by the database's clock; nullopt: no expiry.
  std::optional<int64_t> expires_in_ms{};
};

struct NewApiKey {
  std::string id;
  std::string merchant_id;
  std::string key_hash;  // SHA-256 hex of the key
  std::string key_prefix;
  std::string mode;
};

struct ApiKeyAuditRecord {
  int64_t id = 0;
  std::string at{};  // ISO 8601, UTC; set by the database
  std::string actor;
  std::string action;  // create, revoke, roll
  std::string key_id;
  std::string merchant_id;
  std::string key_prefix;
  std::string detail{"{}"};  // a JSON object
};

// The valid key with this hash, if any.
payments::Result<std::optional<ActiveKey>> FindActiveApiKey(db::Connection& conn,
                                                            const std::string& key_hash);
payments::Result<ApiKeyRow> InsertApiKey(db::Connection& conn, const NewApiKey& key);
// Oldest first.
payments::Result<std::vector<ApiKeyRow>> ListApiKeys(db::Connection& conn,
                                                     const std::string& merchant_id);
// The key, locked (FOR UPDATE) until the transaction ends; nullopt when unknown.
payments::Result<std::optional<ApiKeyRow>> LockApiKey(db::Connection& conn,
                                                      const std::string& key_id);
// revoked_at = now(), revoked_by = actor.
payments::Result<ApiKeyRow> RevokeApiKey(db::Connection& conn, const std::string& key_id,
                                         const std::string& actor);
// expires_at = now() + grace_ms.
payments::Result<ApiKeyRow> ExpireApiKey(db::Connection& conn, const std::string& key_id,
                                         int64_t grace_ms);
payments::Status InsertApiKeyAudit(db::Connection& conn, const ApiKeyAuditRecord& record);
// Newest first; every merchant's when merchant_id is empty.
payments::Result<std::vector<ApiKeyAuditRecord>> ListApiKeyAudit(db::Connection& conn,
                                                                 const std::string& merchant_id,
                                                                 int limit);
// The counter every change of api_keys moves (one row, by primary key).
payments::Result<int64_t> ApiKeyGeneration(db::Connection& conn);

}  // namespace payments::store
