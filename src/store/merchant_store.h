// Merchants and their API keys. Keys are stored as SHA-256 hashes only, with
// a short prefix for display. Functions take the caller's connection.
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
payments::Status InsertApiKey(db::Connection& conn, const std::string& key_id,
                              const std::string& merchant_id, const std::string& key_hash,
                              const std::string& key_prefix);
// The merchant owning an active key with this hash, if any.
payments::Result<std::optional<std::string>> FindMerchantByKeyHash(db::Connection& conn,
                                                                   const std::string& key_hash);
payments::Result<std::vector<MerchantRow>> ListMerchants(db::Connection& conn);
payments::Result<std::optional<MerchantRow>> FindMerchantByName(db::Connection& conn,
                                                                const std::string& name);

// A service secret by name, created with `generated` when absent (first
// writer wins; every instance then reads the same value).
payments::Result<std::string> GetOrCreateSecret(db::Connection& conn, const std::string& name,
                                                const std::string& generated);

}  // namespace payments::store
