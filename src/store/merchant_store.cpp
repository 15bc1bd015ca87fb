#include "store/merchant_store.h"

namespace payments::store {
namespace {

constexpr std::string_view kListColumns =
    "SELECT m.id, m.name, to_char(m.created_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "(SELECT count(*) FROM api_keys k WHERE k.merchant_id = m.id AND k.revoked_at IS NULL "
    "AND (k.expires_at IS NULL OR k.expires_at > now())) "
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

payments::Result<bool> MerchantExists(db::Connection& conn, const std::string& id) {
  auto rows = conn.Exec("SELECT 1 FROM merchants WHERE id = $1", db::Params().Add(id));
  if (!rows) return std::unexpected(rows.error());
  return !rows->empty();
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
