// The field readers every request-body parser of the API shares, so that a
// wrong type, an unknown field, an over-long string or a card number where
// none belongs gets the same typed 400 (invalid_request_error naming the
// parameter in dotted form) on every route. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.h"
#include "http/message.h"

namespace payments::api {

// The body of a POST as a JSON object: 415 unless it is JSON (an empty body
// is {} and needs no content type).
payments::Result<nlohmann::json> ParseRequestBody(const http::Request& req);

// "prefix.name", or "name" at the top level.
std::string Join(std::string_view prefix, std::string_view name);
Error Invalid(std::string code, std::string message, std::string param);
Error Missing(const std::string& param);
Error NotAnObject(const std::string& param);

// 400 parameter_unknown for any field of `object` not in `known`.
payments::Status OnlyKnownFields(const nlohmann::json& object,
                                 std::initializer_list<std::string_view> known,
                                 std::string_view prefix);
// The field, or nullptr when absent.
const nlohmann::json* Field(const nlohmann::json& object, std::string_view name);
// A JSON integer that fits int64.
payments::Result<int64_t> Integer(const nlohmann::json& value, const std::string& param);
// A positive amount in minor units, at most kMaxAmount.
payments::Result<int64_t> Amount(const nlohmann::json& value, const std::string& param);
// A string that can be stored unchanged (no NUL), at most max_length characters.
payments::Result<std::string> String(const nlohmann::json& value, const std::string& param,
                                     size_t max_length);
// 400 parameter_contains_card_number when `text` holds one; `what` names the
// field in the message, which never repeats the text.
payments::Status NoCardNumber(std::string_view text, const std::string& param,
                              std::string_view what);

}  // namespace payments::api
