#include "payments/card.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/crypto.h"

namespace payments {
namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int PrefixNumber(std::string_view digits, size_t n) {
  int v = 0;
  for (size_t i = 0; i < n && i < digits.size(); ++i) v = v * 10 + (digits[i] - '0');
  return v;
}

Error CardError(std::string code, std::string message, std::string param) {
  return Error::Of(ErrorKind::kCard, std::move(code), std::move(message), std::move(param));
}

bool LengthOk(CardBrand brand, size_t n) {
  switch (brand) {
    case CardBrand::kVisa:
      return n == 13 || n == 16 || n == 19;
    case CardBrand::kMastercard:
      return n == 16;
    case CardBrand::kAmex:
      return n == 15;
    case CardBrand::kDinersClub:
      return n >= 14 && n <= 19;
    case CardBrand::kDiscover:
    case CardBrand::kJcb:
    case CardBrand::kUnionPay:
      return n >= 16 && n <= 19;
  }
  return false;
}

}  // namespace

std::string_view ToString(CardBrand brand) {
  switch (brand) {
    case CardBrand::kVisa:
      return "visa";
    case CardBrand::kMastercard:
      return "mastercard";
    case CardBrand::kAmex:
      return "amex";
    case CardBrand::kDiscover:
      return "discover";
    case CardBrand::kJcb:
      return "jcb";
    case CardBrand::kDinersClub:
      return "diners";
    case CardBrand::kUnionPay:
      return "unionpay";
  }
  return "unknown";
}

bool LuhnValid(std::string_view digits) {
  if (!AllDigits(digits)) return false;
  int sum = 0;
  bool double_it = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (double_it) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double_it = !double_it;
  }
  return sum % 10 == 0;
}

std::optional<CardBrand> BrandOf(std::string_view d) {
  if (!AllDigits(d) || d.size() < 6) return std::nullopt;
  const int p2 = PrefixNumber(d, 2);
  const int p3 = PrefixNumber(d, 3);
  const int p4 = PrefixNumber(d, 4);
  if (d[0] == '4') return CardBrand::kVisa;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return CardBrand::kMastercard;
  if (p2 == 34 || p2 == 37) return CardBrand::kAmex;
  if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65) return CardBrand::kDiscover;
  if (p4 >= 3528 && p4 <= 3589) return CardBrand::kJcb;
  if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39) return CardBrand::kDinersClub;
  if (p2 == 62) return CardBrand::kUnionPay;
  return std::nullopt;
}

payments::Result<ValidCard> ValidateCard(const CardInput& in, YearMonth now,
                                         std::string_view prefix) {
  const std::string number_param = fmt::format("{}.number", prefix);
  const std::string& n = in.number;
  if (!AllDigits(n) || n.size() < 12 || n.size() > 19) {
    return std::unexpected(CardError("invalid_number",
                                     "The card number must be 12 to 19 digits, without spaces.",
                                     number_param));
  }
  if (!LuhnValid(n)) {
    return std::unexpected(CardError(
        "invalid_number", "The card number is not a valid card number (checksum).", number_param));
  }
  const std::optional<CardBrand> brand = BrandOf(n);
  if (!brand) {
    return std::unexpected(
        CardError("invalid_number", "The card number's brand is not supported.", number_param));
  }
  if (!LengthOk(*brand, n.size())) {
    return std::unexpected(CardError(
        "invalid_number",
        fmt::format("A {} card number cannot have {} digits.", ToString(*brand), n.size()),
        number_param));
  }
  if (in.exp_month < 1 || in.exp_month > 12) {
    return std::unexpected(CardError("invalid_expiry_month",
                                     "The expiry month must be from 1 to 12.",
                                     fmt::format("{}.exp_month", prefix)));
  }
  int64_t year = in.exp_year;
  if (year >= 0 && year < 100) year += 2000;  // two-digit years, as printed on cards
  if (year < 2000 || year > now.year + 50) {
    return std::unexpected(CardError("invalid_expiry_year", "The expiry year is not valid.",
                                     fmt::format("{}.exp_year", prefix)));
  }
  if (year < now.year || (year == now.year && in.exp_month < now.month)) {
    return std::unexpected(
        CardError("expired_card", "The card has expired.", fmt::format("{}.exp_year", prefix)));
  }
  if (in.cvc) {
    const size_t want = *brand == CardBrand::kAmex ? 4 : 3;
    if (!AllDigits(*in.cvc) || in.cvc->size() != want) {
      return std::unexpected(
          CardError("invalid_cvc", fmt::format("The CVC must be {} digits for this card.", want),
                    fmt::format("{}.cvc", prefix)));
    }
  }
  return ValidCard{n, *brand, static_cast<int>(in.exp_month), static_cast<int>(year),
                   n.substr(n.size() - 4)};
}

std::string CardFingerprint(std::string_view key, std::string_view scope, std::string_view number) {
  if (scope.empty()) return HmacSha256Hex(key, number).substr(0, 32);
  // A merchant id never holds ':', so no two (scope, number) pairs meet.
  return HmacSha256Hex(key, fmt::format("{}:{}", scope, number)).substr(0, 32);
}

}  // namespace payments
