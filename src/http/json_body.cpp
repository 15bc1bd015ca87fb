#include "http/json_body.h"

#include <fmt/format.h>

#include "core/text.h"

namespace payments::http {
namespace {

// Depth of the deepest nesting, counting brackets outside strings.
int MaxDepth(std::string_view text) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A query name or value, %-decoded; its text must be storable and echoable
// as it is (core/text.h), control characters included: no query parameter
// of the API is free text.
payments::Result<std::string> Decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) {
        return std::unexpected(
            Error::InvalidRequest("invalid_query", "the query string has an incomplete %-escape"));
      }
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) {
        return std::unexpected(
            Error::InvalidRequest("invalid_query", "the query string has an invalid %-escape"));
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  if (auto problem = CheckText(out, /*allow_control=*/false)) {
    return std::unexpected(Error::InvalidRequest(
        "invalid_query", fmt::format("A query parameter {}.", Describe(*problem))));
  }
  return out;
}

}  // namespace

payments::Result<nlohmann::json> ParseJsonObject(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return nlohmann::json::object();
  }
  if (MaxDepth(body) > kMaxJsonDepth) {
    return std::unexpected(Error::InvalidRequest(
        "json_too_deep", fmt::format("The JSON body nests deeper than {} levels.", kMaxJsonDepth)));
  }
  try {
    nlohmann::json parsed = nlohmann::json::parse(body);
    if (!parsed.is_object()) {
      return std::unexpected(
          Error::InvalidRequest("invalid_json", "The request body must be a JSON object."));
    }
    return parsed;
  } catch (const nlohmann::json::parse_error& e) {
    return std::unexpected(Error::InvalidRequest(
        "invalid_json", fmt::format("The request body is not valid JSON (at byte {}).", e.byte)));
  } catch (const nlohmann::json::out_of_range&) {
    // 406: a number beyond a double's range (1e999). Valid JSON by its
    // grammar, but no field takes it; the parser throws, which was a 500.
    return std::unexpected(Error::InvalidRequest(
        "invalid_json", "The request body holds a number too large to represent."));
  } catch (const nlohmann::json::exception&) {
    return std::unexpected(
        Error::InvalidRequest("invalid_json", "The request body is not valid JSON."));
  }
}

payments::Result<std::map<std::string, std::string>> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    const size_t amp = query.find('&', start);
    const std::string_view pair =
        query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      auto key = Decode(pair.substr(0, eq));
      if (!key) return std::unexpected(key.error());
      auto value = Decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
      if (!value) return std::unexpected(value.error());
      if (out.contains(*key)) {
        return std::unexpected(Error::InvalidRequest(
            "duplicate_parameter", fmt::format("The query parameter '{}' is repeated.", *key),
            *key));
      }
      out.emplace(std::move(*key), std::move(*value));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return out;
}

}  // namespace payments::http
