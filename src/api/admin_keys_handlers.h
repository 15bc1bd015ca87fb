// The admin API for merchants' API keys, mounted on the admin listener:
//
//   POST /admin/merchants/{merchant}/keys  {"mode": "test"|"live", "actor": "..."}
//                                          a new key; its secret is in this answer only
//   GET  /admin/merchants/{merchant}/keys  the merchant's keys (never a secret or hash)
//   POST /admin/keys/{key}/revoke          {"actor": "..."}: stops it on every instance
//                                          within a second
//   POST /admin/keys/{key}/roll            {"grace_period": "24h"} or
//                                          {"grace_period_seconds": 86400}, "actor":
//                                          a new key; the old one works until the grace ends
//   GET  /admin/keys/audit?merchant=&limit=  the audit, newest first
//
// The use cases are service/api_keys.h's, shared with `payments merchants
// keys`; so are the JSON views below. Every route needs `Authorization:
// Bearer <PAYMENTS_ADMIN_TOKEN>` (api/admin_auth.h); with no token configured
// they answer 404. Bad input is a 400 naming the parameter, an unknown
// merchant or key a 404, a key revoked or rolled already a 409; none writes
// anything.
//
// The handlers are thread-safe; the pool must outlive the router.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "db/pool.h"
#include "http/router.h"
#include "service/api_keys.h"
#include "store/api_key_store.h"

namespace payments::api {

struct AdminKeysOptions {
  std::string token;  // PAYMENTS_ADMIN_TOKEN; empty turns the routes off (404)
};

void RegisterAdminKeyRoutes(http::Router& router, db::Pool& pool, AdminKeysOptions options);

// {"object": "api_key", id, merchant, prefix, mode, created_at, expires_at,
// revoked_at, revoked_by}: never the secret or its hash.
nlohmann::ordered_json ApiKeyJson(const store::ApiKeyRow& key);
// The above with "secret" (a new key, shown once).
nlohmann::ordered_json CreatedKeyJson(const service::CreatedKey& created);
// {"object": "api_key_roll", "rolled": <old key>, "replacement": <new key with secret>}.
nlohmann::ordered_json RolledKeyJson(const service::RolledKey& rolled);
nlohmann::ordered_json KeyAuditJson(const store::ApiKeyAuditRecord& record);

}  // namespace payments::api
