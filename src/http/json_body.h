// Request bodies as JSON objects, with the limits the API promises: an empty
// body is {}, nesting deeper than 32 is refused before parsing, malformed JSON
// and non-objects are 400 invalid_request_error with a message saying where.
// Also the query string. Pure; thread-safe.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.h"

namespace payments::http {

inline constexpr int kMaxJsonDepth = 32;

payments::Result<nlohmann::json> ParseJsonObject(std::string_view body);

// "a=1&b=x%20y" -> {a: "1", b: "x y"}. Repeated keys and bad escapes are 400.
payments::Result<std::map<std::string, std::string>> ParseQuery(std::string_view query);

}  // namespace payments::http
