// Money in ISO 4217 minor units. Amounts are integers of the currency's
// smallest unit (cents for USD, yen for JPY, fils for KWD); there is no
// floating point anywhere in the money path. Pure; thread-safe.
//
//   const Currency* usd = FindCurrency("USD");  // usd->exponent == 2
//   if (!IsValidAmount(1099)) ...
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace payments {

struct Currency {
  std::string_view code;  // lower case, "usd"
  int exponent;           // digits after the decimal point: JPY 0, USD 2, KWD 3
};

// Largest amount the API accepts, in minor units (as Stripe: 99,999,999,999).
inline constexpr int64_t kMaxAmount = 99'999'999'999;

// Looks a currency up by its ISO 4217 alphabetic code, in any case. Returns
// nullptr for unknown codes and for codes that are not a currency one can pay
// in (precious metals, testing codes).
const Currency* FindCurrency(std::string_view code);

// Every currency the service accepts, sorted by code.
std::span<const Currency> AllCurrencies();

// True for 1 ≤ amount ≤ kMaxAmount.
constexpr bool IsValidAmount(int64_t amount) { return amount >= 1 && amount <= kMaxAmount; }

// Formats an amount for humans in messages: 1099 usd -> "10.99 USD".
std::string FormatAmount(int64_t amount, const Currency& currency);

}  // namespace payments
