#include "api/json_fields.h"

#include <fmt/format.h>

#include <cctype>

#include "core/money.h"
#include "core/redact.h"
#include "core/text.h"
#include "http/json_body.h"

namespace payments::api {
namespace {

bool IsJsonContentType(std::string_view value) {
  const std::string_view type = value.substr(0, value.find(';'));
  std::string lower;
  for (char c : type) {
    if (c != ' ') lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return lower == "application/json";
}

}  // namespace

std::string Join(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : fmt::format("{}.{}", prefix, name);
}

Error Invalid(std::string code, std::string message, std::string param) {
  return Error::InvalidRequest(std::move(code), std::move(message), std::move(param));
}

payments::Status OnlyKnownFields(const nlohmann::json& object,
                                 std::initializer_list<std::string_view> known,
                                 std::string_view prefix) {
  for (const auto& [key, value] : object.items()) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == key;
    if (!ok && key.empty()) {
      // The param names where it is ("" at the top level): say what it is.
      return std::unexpected(Invalid(
          "parameter_unknown",
          prefix.empty() ? std::string("Received a parameter with an empty name.")
                         : fmt::format("Received a parameter with an empty name in {}.", prefix),
          std::string(prefix)));
    }
    if (!ok) {
      return std::unexpected(Invalid(
          "parameter_unknown", fmt::format("Received unknown parameter: {}", Join(prefix, key)),
          Join(prefix, key)));
    }
  }
  return {};
}

const nlohmann::json* Field(const nlohmann::json& object, std::string_view name) {
  auto it = object.find(std::string(name));
  return it == object.end() ? nullptr : &*it;
}

payments::Result<int64_t> Integer(const nlohmann::json& value, const std::string& param) {
  if (!value.is_number_integer()) {
    return std::unexpected(Invalid("parameter_invalid_integer",
                                   fmt::format("{} must be an integer (a JSON number without a "
                                               "fraction or exponent).",
                                               param),
                                   param));
  }
  if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return std::unexpected(
        Invalid("parameter_invalid_integer", fmt::format("{} is too large.", param), param));
  }
  return value.get<int64_t>();
}

payments::Result<int64_t> Amount(const nlohmann::json& value, const std::string& param) {
  auto amount = Integer(value, param);
  if (!amount) return amount;
  if (!IsValidAmount(*amount)) {
    return std::unexpected(Invalid(
        "parameter_invalid_integer",
        fmt::format("{} must be a positive integer in the currency's smallest unit, at most {}.",
                    param, kMaxAmount),
        param));
  }
  return amount;
}

payments::Result<std::string> String(const nlohmann::json& value, const std::string& param,
                                     size_t max_length) {
  if (!value.is_string()) {
    return std::unexpected(
        Invalid("parameter_invalid_string", fmt::format("{} must be a string.", param), param));
  }
  std::string s = value.get<std::string>();
  // The JSON parser has already refused bytes that are not UTF-8 and
  // unpaired surrogates; "\u0000" it decodes to a NUL, which PostgreSQL
  // refuses in text and jsonb. What passes here is stored unchanged.
  if (auto problem = CheckText(s)) {
    return std::unexpected(Invalid("parameter_invalid_string",
                                   fmt::format("{} {}.", param, Describe(*problem)), param));
  }
  if (Utf8Length(s) > max_length) {
    return std::unexpected(
        Invalid("parameter_invalid_string_too_long",
                fmt::format("{} must be at most {} characters.", param, max_length), param));
  }
  return s;
}

// Card numbers belong in payment_method.card.number alone, which is never
// stored in full. Anywhere else they would be kept in clear, in the payment,
// its events and what the relay publishes: refused instead. The message and
// param never repeat the text.
payments::Status NoCardNumber(std::string_view text, const std::string& param,
                              std::string_view what) {
  if (!HoldsCardNumber(text)) return {};
  return std::unexpected(
      Invalid("parameter_contains_card_number",
              fmt::format("{} looks like it holds a card number; card numbers go only in "
                          "payment_method.card.number.",
                          what),
              param));
}

Error Missing(const std::string& param) {
  return Invalid("parameter_missing", fmt::format("Missing required parameter: {}.", param), param);
}

Error NotAnObject(const std::string& param) {
  return Invalid("parameter_invalid_object", fmt::format("{} must be an object.", param), param);
}

// The body of a POST as a JSON object: 415 unless it is JSON (an empty body
// is {} and needs no content type).
payments::Result<nlohmann::json> ParseRequestBody(const http::Request& req) {
  const bool empty = req.body.find_first_not_of(" \t\r\n") == std::string::npos;
  if (!empty && !IsJsonContentType(req.Header("content-type"))) {
    return std::unexpected(Error::Of(ErrorKind::kUnsupportedMediaType, "unsupported_media_type",
                                     "The request body must be JSON, sent with Content-Type: "
                                     "application/json."));
  }
  return http::ParseJsonObject(req.body);
}

}  // namespace payments::api
