#include "api/requests.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <set>

#include "api/json_fields.h"
#include "core/money.h"
#include "core/redact.h"
#include "core/text.h"
#include "http/json_body.h"

namespace payments::api {
namespace {

using json = nlohmann::json;

payments::Result<Metadata> ParseMetadata(const json& value, const std::string& param) {
  if (!value.is_object()) {
    return std::unexpected(Invalid("parameter_invalid_object",
                                   fmt::format("{} must be an object of strings.", param), param));
  }
  if (value.size() > 50) {
    return std::unexpected(
        Invalid("metadata_too_many_keys", "metadata can have at most 50 keys.", param));
  }
  Metadata out;
  for (const auto& [key, v] : value.items()) {
    const std::string p = Join(param, key);
    if (key.empty() || Utf8Length(key) > 40) {
      return std::unexpected(
          Invalid("metadata_invalid_key", "metadata keys must be 1 to 40 characters.", p));
    }
    if (auto problem = CheckText(key, /*allow_control=*/false)) {
      return std::unexpected(Invalid("metadata_invalid_key",
                                     fmt::format("a metadata key {}.", Describe(*problem)), p));
    }
    // The key itself would name the number: the param is "metadata".
    if (auto c = NoCardNumber(key, param, "a metadata key"); !c) return std::unexpected(c.error());
    auto s = String(v, p, 500);
    if (!s) return std::unexpected(s.error());
    if (auto c = NoCardNumber(*s, p, p); !c) return std::unexpected(c.error());
    out[key] = std::move(*s);
  }
  return out;
}

}  // namespace

payments::Result<service::CreatePaymentInput> ParseCreatePayment(const json& body) {
  if (auto s = OnlyKnownFields(
          body, {"amount", "currency", "payment_method", "capture", "description", "metadata"}, "");
      !s) {
    return std::unexpected(s.error());
  }
  service::CreatePaymentInput in;
  const json* amount = Field(body, "amount");
  if (!amount) return std::unexpected(Missing("amount"));
  auto a = Amount(*amount, "amount");
  if (!a) return std::unexpected(a.error());
  in.amount = *a;

  const json* currency = Field(body, "currency");
  if (!currency) return std::unexpected(Missing("currency"));
  auto code = String(*currency, "currency", 3);
  if (!code) {
    return std::unexpected(
        Invalid("invalid_currency", "currency must be a three-letter ISO 4217 code.", "currency"));
  }
  in.currency = FindCurrency(*code);
  if (!in.currency) {
    return std::unexpected(Invalid("invalid_currency",
                                   fmt::format("Unknown or unsupported currency: '{}'.", *code),
                                   "currency"));
  }

  const json* pm = Field(body, "payment_method");
  if (!pm) return std::unexpected(Missing("payment_method"));
  if (!pm->is_object()) return std::unexpected(NotAnObject("payment_method"));
  if (auto s = OnlyKnownFields(*pm, {"card"}, "payment_method"); !s) {
    return std::unexpected(s.error());
  }
  const json* card = Field(*pm, "card");
  if (!card) return std::unexpected(Missing("payment_method.card"));
  if (!card->is_object()) return std::unexpected(NotAnObject("payment_method.card"));
  if (auto s =
          OnlyKnownFields(*card, {"number", "exp_month", "exp_year", "cvc"}, "payment_method.card");
      !s) {
    return std::unexpected(s.error());
  }
  const json* number = Field(*card, "number");
  if (!number) return std::unexpected(Missing("payment_method.card.number"));
  auto n = String(*number, "payment_method.card.number", 64);
  if (!n) return std::unexpected(n.error());
  in.card.number = std::move(*n);
  for (auto [name, target] :
       {std::pair{"exp_month", &in.card.exp_month}, std::pair{"exp_year", &in.card.exp_year}}) {
    const std::string param = fmt::format("payment_method.card.{}", name);
    const json* v = Field(*card, name);
    if (!v) return std::unexpected(Missing(param));
    auto i = Integer(*v, param);
    if (!i) return std::unexpected(i.error());
    *target = *i;
  }
  if (const json* cvc = Field(*card, "cvc"); cvc && !cvc->is_null()) {
    auto c = String(*cvc, "payment_method.card.cvc", 8);
    if (!c) return std::unexpected(c.error());
    in.card.cvc = std::move(*c);
  }

  if (const json* capture = Field(body, "capture"); capture) {
    if (!capture->is_boolean()) {
      return std::unexpected(
          Invalid("parameter_invalid_boolean", "capture must be true or false.", "capture"));
    }
    in.capture = capture->get<bool>();
  }
  if (const json* d = Field(body, "description"); d && !d->is_null()) {
    auto s = String(*d, "description", 1000);
    if (!s) return std::unexpected(s.error());
    if (auto c = NoCardNumber(*s, "description", "description"); !c) {
      return std::unexpected(c.error());
    }
    in.description = std::move(*s);
  }
  if (const json* m = Field(body, "metadata"); m && !m->is_null()) {
    auto md = ParseMetadata(*m, "metadata");
    if (!md) return std::unexpected(md.error());
    in.metadata = std::move(*md);
  }
  return in;
}

payments::Result<std::optional<int64_t>> ParseCapture(const json& body) {
  if (auto s = OnlyKnownFields(body, {"amount"}, ""); !s) return std::unexpected(s.error());
  const json* amount = Field(body, "amount");
  if (!amount || amount->is_null()) return std::optional<int64_t>();
  auto a = Amount(*amount, "amount");
  if (!a) return std::unexpected(a.error());
  return std::optional<int64_t>(*a);
}

payments::Status ParseCancel(const json& body) { return OnlyKnownFields(body, {}, ""); }

payments::Result<service::RefundInput> ParseRefund(const json& body) {
  if (auto s = OnlyKnownFields(body, {"amount", "reason", "metadata"}, ""); !s) {
    return std::unexpected(s.error());
  }
  service::RefundInput in;
  if (const json* amount = Field(body, "amount"); amount && !amount->is_null()) {
    auto a = Amount(*amount, "amount");
    if (!a) return std::unexpected(a.error());
    in.amount = *a;
  }
  if (const json* reason = Field(body, "reason"); reason && !reason->is_null()) {
    auto r = String(*reason, "reason", 64);
    if (!r) return std::unexpected(r.error());
    static const std::set<std::string> kReasons = {"duplicate", "fraudulent",
                                                   "requested_by_customer"};
    if (!kReasons.contains(*r)) {
      return std::unexpected(
          Invalid("parameter_invalid_enum",
                  "reason must be one of duplicate, fraudulent, requested_by_customer.", "reason"));
    }
    in.reason = std::move(*r);
  }
  if (const json* m = Field(body, "metadata"); m && !m->is_null()) {
    auto md = ParseMetadata(*m, "metadata");
    if (!md) return std::unexpected(md.error());
    in.metadata = std::move(*md);
  }
  return in;
}

namespace {

// An object id as a cursor or a filter: what ids are made of, bounded.
bool IsObjectId(std::string_view value) {
  return !value.empty() && value.size() <= 64 &&
         std::all_of(value.begin(), value.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_';
         });
}

// A parameter the page does not know, offered to the list's own filters:
// true when taken, false when unknown to them too.
using ExtraParam =
    std::function<payments::Result<bool>(const std::string& key, const std::string& value)>;

payments::Result<ListParams> ParsePage(std::string_view query, const ExtraParam& extra) {
  auto q = http::ParseQuery(query);
  if (!q) return std::unexpected(q.error());
  ListParams out;
  for (const auto& [key, value] : *q) {
    if (key == "limit") {
      int limit = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (ec != std::errc() || ptr != value.data() + value.size() || limit < 1 || limit > 100) {
        return std::unexpected(Invalid("parameter_invalid_integer",
                                       "limit must be an integer from 1 to 100.", "limit"));
      }
      out.limit = limit;
      continue;
    }
    if (key == "starting_after") {
      if (!IsObjectId(value)) {
        return std::unexpected(Invalid("parameter_invalid_string",
                                       "starting_after must be an object id.", "starting_after"));
      }
      out.starting_after = value;
      continue;
    }
    payments::Result<bool> taken = extra ? extra(key, value) : false;
    if (!taken) return std::unexpected(taken.error());
    if (!*taken) {
      return std::unexpected(
          Invalid("parameter_unknown", fmt::format("Received unknown parameter: {}", key), key));
    }
  }
  return out;
}

// A Unix time in seconds, from 1970 to the end of year 9999.
payments::Result<int64_t> ParseUnixSeconds(const std::string& key, const std::string& value) {
  int64_t seconds = -1;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || ptr != value.data() + value.size() || seconds < 0 ||
      seconds > 253'402'300'799) {
    return std::unexpected(Invalid("parameter_invalid_integer",
                                   fmt::format("{} must be a Unix time in seconds.", key), key));
  }
  return seconds;
}

}  // namespace

payments::Result<ListParams> ParseListParams(std::string_view query) {
  return ParsePage(query, nullptr);
}

payments::Result<PaymentListParams> ParsePaymentListParams(std::string_view query) {
  PaymentListParams out;
  auto page = ParsePage(
      query, [&](const std::string& key, const std::string& value) -> payments::Result<bool> {
        if (key == "status") {
          out.filter.status = ParsePaymentStatus(value);
          if (!out.filter.status) {
            return std::unexpected(Invalid("parameter_invalid_string",
                                           "status must be one of authorized, captured, "
                                           "partially_refunded, refunded, canceled "
                                           "or failed.",
                                           "status"));
          }
          return true;
        }
        if (key == "created[gte]" || key == "created[lt]") {
          auto seconds = ParseUnixSeconds(key, value);
          if (!seconds) return std::unexpected(seconds.error());
          (key == "created[gte]" ? out.filter.created_gte : out.filter.created_lt) = *seconds;
          return true;
        }
        return false;
      });
  if (!page) return std::unexpected(page.error());
  out.page = std::move(*page);
  return out;
}

payments::Result<RefundListParams> ParseRefundListParams(std::string_view query) {
  RefundListParams out;
  auto page = ParsePage(
      query, [&](const std::string& key, const std::string& value) -> payments::Result<bool> {
        if (key != "payment") return false;
        if (!IsObjectId(value)) {
          return std::unexpected(
              Invalid("parameter_invalid_string", "payment must be a payment id.", "payment"));
        }
        out.payment = value;
        return true;
      });
  if (!page) return std::unexpected(page.error());
  out.page = std::move(*page);
  return out;
}

payments::Status ValidateIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > 255) {
    return std::unexpected(Invalid("idempotency_key_invalid",
                                   "Idempotency-Key must be 1 to 255 characters.",
                                   "Idempotency-Key"));
  }
  for (char c : key) {
    if (c < 0x20 || c > 0x7e) {
      return std::unexpected(Invalid("idempotency_key_invalid",
                                     "Idempotency-Key must be printable ASCII characters.",
                                     "Idempotency-Key"));
    }
  }
  // The key is stored with the request's reply.
  return NoCardNumber(key, "Idempotency-Key", "Idempotency-Key");
}

}  // namespace payments::api
