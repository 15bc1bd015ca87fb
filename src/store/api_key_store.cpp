#include "store/api_key_store.h"

#include <string_view>

namespace payments::store {
namespace {

// ISO 8601 in UTC, to the millisecond (a grace period may be seconds long).
std::string Utc(std::string_view column) {
  return "to_char(" + std::string(column) +
         " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

const std::string kKeyColumns = "id, merchant_id, key_prefix, mode, " + Utc("created_at") + ", " +
                                Utc("expires_at") + ", " + Utc("revoked_at") + ", revoked_by";

constexpr db::Statement kFindActive{"api_keys.find_active",
                                    "SELECT id, merchant_id, mode, "
                                    "ceil(extract(epoch FROM expires_at - now()) * 1000)::bigint "
                                    "FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL "
                                    "AND (expires_at IS NULL OR expires_at > now())"};

constexpr db::Statement kGeneration{"api_keys.generation",
                                    "SELECT generation FROM api_key_generation WHERE id = 1"};

ApiKeyRow ReadKey(const db::Rows& rows, int r) {
  return ApiKeyRow{.id = rows.String(r, 0),
                   .merchant_id = rows.String(r, 1),
                   .key_prefix = rows.String(r, 2),
                   .mode = rows.String(r, 3),
                   .created_at = rows.String(r, 4),
                   .expires_at = rows.OptionalString(r, 5),
                   .revoked_at = rows.OptionalString(r, 6),
                   .revoked_by = rows.OptionalString(r, 7)};
}

payments::Result<ApiKeyRow> OneKey(payments::Result<db::Rows> rows, const std::string& key_id) {
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::unexpected(Error::Internal("api key vanished", key_id));
  return ReadKey(*rows, 0);
}

}  // namespace

payments::Result<std::optional<ActiveKey>> FindActiveApiKey(db::Connection& conn,
                                                            const std::string& key_hash) {
  auto rows = conn.Run(kFindActive, db::Params().Add(key_hash));
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<ActiveKey>();
  return ActiveKey{.key_id = rows->String(0, 0),
                   .merchant_id = rows->String(0, 1),
                   .mode = rows->String(0, 2),
                   .expires_in_ms = rows->OptionalInt64(0, 3)};
}

payments::Result<ApiKeyRow> InsertApiKey(db::Connection& conn, const NewApiKey& key) {
  return OneKey(
      conn.Exec(std::string("INSERT INTO api_keys (id, merchant_id, key_hash, key_prefix, mode) "
                            "VALUES ($1, $2, $3, $4, $5) RETURNING ") +
                    kKeyColumns,
                db::Params()
                    .Add(key.id)
                    .Add(key.merchant_id)
                    .Add(key.key_hash)
                    .Add(key.key_prefix)
                    .Add(key.mode)),
      key.id);
}

payments::Result<std::vector<ApiKeyRow>> ListApiKeys(db::Connection& conn,
                                                     const std::string& merchant_id) {
  auto rows = conn.Exec(
      "SELECT " + kKeyColumns + " FROM api_keys WHERE merchant_id = $1 ORDER BY created_at, id",
      db::Params().Add(merchant_id));
  if (!rows) return std::unexpected(rows.error());
  std::vector<ApiKeyRow> out;
  for (int r = 0; r < rows->size(); ++r) out.push_back(ReadKey(*rows, r));
  return out;
}

payments::Result<std::optional<ApiKeyRow>> LockApiKey(db::Connection& conn,
                                                      const std::string& key_id) {
  auto rows = conn.Exec("SELECT " + kKeyColumns + " FROM api_keys WHERE id = $1 FOR UPDATE",
                        db::Params().Add(key_id));
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<ApiKeyRow>();
  return std::optional<ApiKeyRow>(ReadKey(*rows, 0));
}

payments::Result<ApiKeyRow> RevokeApiKey(db::Connection& conn, const std::string& key_id,
                                         const std::string& actor) {
  return OneKey(conn.Exec("UPDATE api_keys SET revoked_at = now(), revoked_by = $2 WHERE id = $1 "
                          "RETURNING " +
                              kKeyColumns,
                          db::Params().Add(key_id).Add(actor)),
                key_id);
}

payments::Result<ApiKeyRow> ExpireApiKey(db::Connection& conn, const std::string& key_id,
                                         int64_t grace_ms) {
  return OneKey(
      conn.Exec(
          "UPDATE api_keys SET expires_at = now() + make_interval(secs => $2::bigint / 1000.0) "
          "WHERE id = $1 RETURNING " +
              kKeyColumns,
          db::Params().Add(key_id).Add(grace_ms)),
      key_id);
}

payments::Status InsertApiKeyAudit(db::Connection& conn, const ApiKeyAuditRecord& record) {
  auto r = conn.Exec(
      "INSERT INTO api_key_audit (actor, action, key_id, merchant_id, key_prefix, detail) "
      "VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
      db::Params()
          .Add(record.actor)
          .Add(record.action)
          .Add(record.key_id)
          .Add(record.merchant_id)
          .Add(record.key_prefix)
          .Add(record.detail));
  if (!r) return std::unexpected(r.error());
  return {};
}

payments::Result<std::vector<ApiKeyAuditRecord>> ListApiKeyAudit(db::Connection& conn,
                                                                 const std::string& merchant_id,
                                                                 int limit) {
  auto rows = conn.Exec(
      "SELECT id, " + Utc("at") +
          ", actor, action, key_id, merchant_id, key_prefix, detail::text "
          "FROM api_key_audit WHERE ($1 = '' OR merchant_id = $1) ORDER BY id DESC LIMIT $2",
      db::Params().Add(merchant_id).Add(limit));
  if (!rows) return std::unexpected(rows.error());
  std::vector<ApiKeyAuditRecord> out;
  for (int r = 0; r < rows->size(); ++r) {
    out.push_back(ApiKeyAuditRecord{.id = rows->Int64(r, 0),
                                    .at = rows->String(r, 1),
                                    .actor = rows->String(r, 2),
                                    .action = rows->String(r, 3),
                                    .key_id = rows->String(r, 4),
                                    .merchant_id = rows->String(r, 5),
                                    .key_prefix = rows->String(r, 6),
                                    .detail = rows->String(r, 7)});
  }
  return out;
}

payments::Result<int64_t> ApiKeyGeneration(db::Connection& conn) {
  auto rows = conn.Run(kGeneration);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::unexpected(Error::Internal("api_key_generation has no row"));
  return rows->Int64(0, 0);
}

}  // namespace payments::store
