// Merchant onboarding: a merchant and its first secret key. The key is
// random (sk_test_ + 32 base62 characters, ~190 bits), returned once, and
// stored only as its SHA-256. Thread-safe (stateless).
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "db/connection.h"
#include "store/merchant_store.h"

namespace payments::service {

struct NewMerchant {
  std::string id;
  std::string name;
  std::string secret_key;  // shown once, never stored
};

// Validates the name (1–200 characters, no control characters) and creates
// the merchant with one key in one transaction on conn.
payments::Result<NewMerchant> CreateMerchant(db::Connection& conn, const std::string& name);

// A fresh secret key for an existing merchant.
payments::Result<std::string> CreateApiKey(db::Connection& conn, const std::string& merchant_id);

payments::Status ValidateMerchantName(const std::string& name);

}  // namespace payments::service
