// Card checks that need no network: digits and length, the Luhn checksum,
// the brand from the number's prefix (IIN ranges), expiry in the future, CVC
// shape. The full number lives only in memory, in ValidCard, on its way to the
// processor; what is stored is brand, last4, expiry and a keyed fingerprint.
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace payments {

enum class CardBrand { kVisa, kMastercard, kAmex, kDiscover, kJcb, kDinersClub, kUnionPay };

std::string_view ToString(CardBrand brand);  // "visa", "mastercard", "amex", ...

struct CardInput {
  std::string number;
  int64_t exp_month = 0;
  int64_t exp_year = 0;
  std::optional<std::string> cvc;
};

struct ValidCard {
  std::string number;  // digits only; never logged, never stored
  CardBrand brand;
  int exp_month;
  int exp_year;  // four digits
  std::string last4;
};

// The year and month "now", for the expiry check.
struct YearMonth {
  int year;
  int month;
};

bool LuhnValid(std::string_view digits);
std::optional<CardBrand> BrandOf(std::string_view digits);

// Checks a card. Errors are card_error (402) with Stripe's codes —
// invalid_number, invalid_expiry_month, invalid_expiry_year, expired_card,
// invalid_cvc — and `param` under param_prefix ("payment_method.card").
payments::Result<ValidCard> ValidateCard(const CardInput& input, YearMonth now,
                                         std::string_view param_prefix);

// HMAC-SHA-256 of the number under key, as 32 hex characters: the same card
// gives the same fingerprint within a scope (a merchant id; empty: one scope
// for every merchant), and the number cannot be recovered from it without
// the key. Scoped, one merchant's fingerprint says nothing of whether another
// merchant saw the card.
std::string CardFingerprint(std::string_view key, std::string_view scope, std::string_view number);

}  // namespace payments
