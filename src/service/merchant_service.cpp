#include "service/merchant_service.h"

#include "core/ids.h"
#include "core/redact.h"
#include "service/api_keys.h"

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

payments::Result<NewMerchant> CreateMerchant(db::Connection& conn, const std::string& name,
                                             const std::string& actor) {
  if (auto s = ValidateMerchantName(name); !s) return std::unexpected(s.error());
  NewMerchant m{NewId("mer"), name, ""};
  if (auto b = conn.Exec("BEGIN"); !b) return std::unexpected(b.error());
  auto done = [&]() -> payments::Status {
    if (auto s = store::InsertMerchant(conn, m.id, m.name); !s) return s;
    auto key = CreateKeyIn(conn, m.id, KeyMode::kTest, {.actor = actor});
    if (!key) return std::unexpected(key.error());
    m.secret_key = std::move(key->secret);
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
