#include "store/merchant_store.h"

namespace payments::store {
namespace {

constexpr db::Statement kFindByKey{
    "merchants.find_by_key",
    "SELECT merchant_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL"};

constexpr std::string_view kListColumns =
    "SELECT m.id, m.name, to_char(m.created_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "(SELECT count(*) FROM api_keys k WHERE k.merchant_id = m.id AND k.revoked_at IS NULL) "
    "FROM merchants m ";

MerchantRow ReadMerchant(const db::Rows& rows, int r) {
  return MerchantRow{rows.String(r, 0), rows.String(r, 1), rows.String(r, 2), rows.Int64(r, 3)};
}

}  // namespace

payments::Status InsertMerchant(db::Connection& conn, const std::string& id,
                                const std::string& name) {
  auto r =
      conn.Exec("INSERT INTO merchants (id, name) VALUES ($1, $2)", db::Params().Add(id).Add(name));
  if (!r) return std::unexpected(r.error());
  return {};
}

payments::Status InsertApiKey(db::Connection& conn, const std::string& key_id,
                              const std::string& merchant_id, const std::string& key_hash,
                              const std::string& key_prefix) {
  auto r = conn.Exec(
      "INSERT INTO api_keys (id, merchant_id, key_hash, key_prefix) VALUES ($1, $2, $3, $4)",
      db::Params().Add(key_id).Add(merchant_id).Add(key_hash).Add(key_prefix));
  if (!r) return std::unexpected(r.error());
  return {};
}

payments::Result<std::optional<std::string>> FindMerchantByKeyHash(db::Connection& conn,
                                                                   const std::string& key_hash) {
  auto rows = conn.Run(kFindByKey, db::Params().Add(key_hash));
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows->String(0, 0));
}

payments::Result<std::vector<MerchantRow>> ListMerchants(db::Connection& conn) {
  auto rows = conn.Exec(std::string(kListColumns) + "ORDER BY m.created_at, m.id");
  if (!rows) return std::unexpected(rows.error());
  std::vector<MerchantRow> out;
  for (int r = 0; r < rows->size(); ++r) out.push_back(ReadMerchant(*rows, r));
  return out;
}

payments::Result<std::optional<MerchantRow>> FindMerchantByName(db::Connection& conn,
                                                                const std::string& name) {
  auto rows =
      conn.Exec(std::string(kListColumns) + "WHERE m.name = $1 ORDER BY m.created_at LIMIT 1",
                db::Params().Add(name));
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<MerchantRow>();
  return std::optional<MerchantRow>(ReadMerchant(*rows, 0));
}

payments::Result<std::string> GetOrCreateSecret(db::Connection& conn, const std::string& name,
                                                const std::string& generated) {
  auto inserted = conn.Exec(
      "INSERT INTO service_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
      db::Params().Add(name).Add(generated));
  if (!inserted) return std::unexpected(inserted.error());
  auto rows =
      conn.Exec("SELECT value FROM service_secrets WHERE name = $1", db::Params().Add(name));
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::unexpected(Error::Internal("secret vanished", name));
  return rows->String(0, 0);
}

}  // namespace payments::store
