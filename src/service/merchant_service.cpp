#include "service/merchant_service.h"

#include "core/crypto.h"
#include "core/ids.h"
#include "core/redact.h"

namespace payments::service {

payments::Status ValidateMerchantName(const std::string& name) {
  if (name.empty() || name.size() > 200) {
    return std::unexpected(Error::InvalidRequest(
        "invalid_name", "the merchant name must be 1 to 200 characters", "name"));
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return std::unexpected(Error::InvalidRequest(
          "invalid_name", "the merchant name must not contain control characters", "name"));
    }
  }
  if (HoldsCardNumber(name)) {
    return std::unexpected(Error::InvalidRequest(
        "invalid_name", "the merchant name must not hold a card number", "name"));
  }
  return {};
}

payments::Result<std::string> CreateApiKey(db::Connection& conn, const std::string& merchant_id) {
  const std::string key = "sk_test_" + RandomBase62(32);
  if (auto s =
          store::InsertApiKey(conn, NewId("key"), merchant_id, Sha256Hex(key), key.substr(0, 12));
      !s) {
    return std::unexpected(s.error());
  }
  return key;
}

payments::Result<NewMerchant> CreateMerchant(db::Connection& conn, const std::string& name) {
  if (auto s = ValidateMerchantName(name); !s) return std::unexpected(s.error());
  NewMerchant m{NewId("mer"), name, ""};
  if (auto b = conn.Exec("BEGIN"); !b) return std::unexpected(b.error());
  auto done = [&]() -> payments::Status {
    if (auto s = store::InsertMerchant(conn, m.id, m.name); !s) return s;
    auto key = CreateApiKey(conn, m.id);
    if (!key) return std::unexpected(key.error());
    m.secret_key = std::move(*key);
    return {};
  }();
  if (!done) {
    (void)conn.Exec("ROLLBACK");
    return std::unexpected(done.error());
  }
  if (auto c = conn.Exec("COMMIT"); !c) return std::unexpected(c.error());
  return m;
}

}  // namespace payments::service
