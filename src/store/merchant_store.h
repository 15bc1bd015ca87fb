// Merchants (their API keys: store/api_key_store.h). Functions take the
// caller's connection.
// Thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/connection.h"

namespace payments::store {

struct MerchantRow {
  std::string id;
  std::string name;
  std::string created_at;  // ISO 8601
  int64_t active_keys = 0;
};

payments::Status InsertMerchant(db::Connection& conn, const std::string& id,
                                const std::string& name);
payments::Result<bool> MerchantExists(db::Connection& conn, const std::string& id);
payments::Result<std::vector<MerchantRow>> ListMerchants(db::Connection& conn);
payments::Result<std::optional<MerchantRow>> FindMerchantByName(db::Connection& conn,
                                                                const std::string& name);

// A service secret by name, created with `generated` when absent (first
// writer wins; every instance then reads the same value).
payments::Result<std::string> GetOrCreateSecret(db::Connection& conn, const std::string& name,
                                                const std::string& generated);

}  // namespace payments::store
