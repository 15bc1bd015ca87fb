// Merchant onboarding: a merchant and its first secret key, a test key
// (service/api_keys.h), returned once and stored only as its SHA-256.
// Thread-safe (stateless).
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
// the merchant with one key in one transaction on conn; the key's creation is
// audited under actor.
payments::Result<NewMerchant> CreateMerchant(
    db::Connection& conn, const std::string& name,
    const std::string& actor = "payments merchants create");

payments::Status ValidateMerchantName(const std::string& name);

}  // namespace payments::service
