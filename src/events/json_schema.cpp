#include "events/json_schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

namespace payments::events {
namespace {

using nlohmann::json;

const std::set<std::string, std::less<>> kTypeNames = {"object", "array",   "string", "integer",
                                                       "number", "boolean", "null"};
const std::set<std::string, std::less<>> kAnnotations = {"$schema", "$id",         "$comment",
                                                         "title",   "description", "examples"};

std::string EscapePointer(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// libstdc++'s regex compiler reads the numbers of a pattern (the bounds of
// {m,n}, back-references \N) into a long without checking for overflow, which
// is undefined behaviour; a number of 9 digits fits. Over-approximates: an
// escaped or bracketed '{' counts too.
bool HasOverlongNumber(std::string_view pattern) {
  bool in_braces = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    const bool before_number = c == '\\' || c == '{' || (in_braces && c == ',');
    if (c == '{') in_braces = true;
    if (c == '}') in_braces = false;
    if (!before_number) continue;
    size_t digits = 0;
    while (i + 1 + digits < pattern.size() && pattern[i + 1 + digits] >= '0' &&
           pattern[i + 1 + digits] <= '9') {
      ++digits;
    }
    if (digits > 9) return true;
    if (c != '\\') continue;
    // The escaped character starts nothing; "\\cX" (a control character)
    // takes X too, whatever it is, so "\\c\\4444…" is a back-reference
    // (found by the json_schema fuzzer at 4.9 M executions).
    i += i + 1 < pattern.size() && pattern[i + 1] == 'c' ? 2 : 1;
  }
  return false;
}

// libstdc++'s regex engine backtracks, so a quantifier on something that can
// itself match in many ways — another quantifier ("a**", "a+*"), or a group
// holding a quantifier or an alternation ("(a+)+", "(a|aa)*") — takes time
// exponential in the length of the text it is searched in (found by the
// json_schema fuzzer: ":***…" ran for minutes). ECMAScript refuses stacked
// quantifiers anyway; a group under "?" (at most once) stays allowed, which
// is all the event schemas need ("(\\.[0-9]+)?"). Beyond two quantifiers of
// varying count ("*", "+", "?", "{m,n}"; "{n}" is fixed) in one pattern,
// neighbours that can match the same text search polynomially long (found in
// review); the event schemas use at most two. Returns why, or nothing.
std::optional<std::string_view> BacktrackingHazard(std::string_view pattern) {
  struct Group {
    bool ambiguous = false;  // holds a quantifier or an alternation
  };
  std::vector<Group> groups(1);
  enum class Last { kNothing, kAtom, kAmbiguousGroup, kQuantifier };
  Last last = Last::kNothing;
  int varying = 0;  // quantifiers that match a varying number of times
  size_t i = 0;
  while (i < pattern.size()) {
    const char c = pattern[i];
    size_t max_repeats = 0;  // 0: not a quantifier; SIZE_MAX: unbounded
    bool fixed = false;      // {n} or {n,n}: one way to match, nothing to backtrack
    size_t next = i + 1;
    if (c == '*' || c == '+') {
      max_repeats = SIZE_MAX;
    } else if (c == '?') {
      max_repeats = 1;
    } else if (c == '{') {
      const size_t close = pattern.find('}', i);
      const std::string_view inside =
          close == std::string_view::npos ? "" : pattern.substr(i + 1, close - i - 1);
      const size_t comma = inside.find(',');
      const std::string_view upper =
          comma == std::string_view::npos ? inside : inside.substr(comma + 1);
      if (!inside.empty() && inside.find_first_not_of("0123456789,") == std::string_view::npos) {
        max_repeats = upper.empty() ? SIZE_MAX : (upper == "0" || upper == "1" ? 1 : 2);
        fixed = comma == std::string_view::npos || inside.substr(0, comma) == upper;
        next = close + 1;
      }
    }
    if (max_repeats != 0) {
      if (last == Last::kQuantifier) return "a quantifier on a quantifier";
      if (last == Last::kAmbiguousGroup && max_repeats > 1) {
        return "a repeated group that holds a quantifier or an alternation";
      }
      // Side by side, k of them that can take the same characters search in
      // time n^k ("\\d*\\d*\\d*:", or "a?" thirty times then "a{30}").
      if (!fixed && ++varying > 2) {
        return "more than two quantifiers that match a varying number of times";
      }
      if (next < pattern.size() && pattern[next] == '?') ++next;  // lazy
      groups.back().ambiguous = true;
      last = Last::kQuantifier;
      i = next;
      continue;
    }
    if (c == '\\') {
      i += 2;
      last = Last::kAtom;
    } else if (c == '[') {
      size_t j = i + 1;
      // In ECMAScript "[]" is an empty class, not a class holding "]".
      if (j < pattern.size() && pattern[j] == '^') ++j;
      while (j < pattern.size() && pattern[j] != ']') j += pattern[j] == '\\' ? 2 : 1;
      i = j + 1;
      last = Last::kAtom;
    } else if (c == '(') {
      groups.emplace_back();
      i += pattern.substr(i, 3) == "(?:" || pattern.substr(i, 3) == "(?=" ||
                   pattern.substr(i, 3) == "(?!"
               ? 3
               : 1;
      last = Last::kNothing;
    } else if (c == ')' && groups.size() > 1) {
      const bool ambiguous = groups.back().ambiguous;
      groups.pop_back();
      if (ambiguous) groups.back().ambiguous = true;
      last = ambiguous ? Last::kAmbiguousGroup : Last::kAtom;
      ++i;
    } else if (c == '|') {
      groups.back().ambiguous = true;
      last = Last::kNothing;
      ++i;
    } else {
      last = Last::kAtom;
      ++i;
    }
  }
  return std::nullopt;
}

payments::Error Invalid(const std::string& at, std::string_view what) {
  return payments::Error::InvalidRequest(
      "schema_invalid", fmt::format("{} (at {})", what, at.empty() ? "the root" : at));
}

payments::Result<std::shared_ptr<const SchemaNode>> ParseNode(const json& s, const std::string& at);

payments::Status ParseTypes(const json& value, const std::string& at, SchemaNode& node) {
  std::vector<json> names;
  if (value.is_string()) {
    names.push_back(value);
  } else if (value.is_array() && !value.empty()) {
    names.assign(value.begin(), value.end());
  } else {
    return std::unexpected(
        Invalid(at, "\"type\" must be a type name or a non-empty array of them"));
  }
  for (const json& n : names) {
    if (!n.is_string() || !kTypeNames.contains(n.get<std::string>())) {
      return std::unexpected(Invalid(at, fmt::format("unknown type {}", n.dump())));
    }
    node.types.push_back(n.get<std::string>());
  }
  return {};
}

payments::Status ParseKeyword(const std::string& key, const json& value, const std::string& at,
                              SchemaNode& node) {
  const std::string here = at + "/" + EscapePointer(key);
  if (key == "type") return ParseTypes(value, here, node);
  if (key == "properties") {
    if (!value.is_object())
      return std::unexpected(Invalid(here, "\"properties\" must be an object"));
    for (const auto& [name, sub] : value.items()) {
      auto child = ParseNode(sub, here + "/" + EscapePointer(name));
      if (!child) return std::unexpected(child.error());
      node.properties[name] = *child;
    }
    return {};
  }
  if (key == "required") {
    if (!value.is_array()) return std::unexpected(Invalid(here, "\"required\" must be an array"));
    for (const json& n : value) {
      if (!n.is_string()) return std::unexpected(Invalid(here, "\"required\" lists names"));
      node.required.push_back(n.get<std::string>());
    }
    return {};
  }
  if (key == "enum") {
    if (!value.is_array() || value.empty()) {
      return std::unexpected(Invalid(here, "\"enum\" must be a non-empty array"));
    }
    node.enum_values = std::vector<json>(value.begin(), value.end());
    return {};
  }
  if (key == "additionalProperties") {
    if (value.is_boolean()) {
      node.additional_allowed = value.get<bool>();
      return {};
    }
    auto child = ParseNode(value, here);
    if (!child) return std::unexpected(child.error());
    node.additional = *child;
    return {};
  }
  if (key == "items") {
    auto child = ParseNode(value, here);
    if (!child) return std::unexpected(child.error());
    node.items = *child;
    return {};
  }
  if (key == "pattern") {
    if (!value.is_string()) return std::unexpected(Invalid(here, "\"pattern\" must be a string"));
    node.pattern = value.get<std::string>();
    if (HasOverlongNumber(*node.pattern)) {
      return std::unexpected(
          Invalid(here, "bad regular expression: a count or back-reference of more than 9 digits"));
    }
    if (auto hazard = BacktrackingHazard(*node.pattern)) {
      return std::unexpected(
          Invalid(here, fmt::format("regular expression may backtrack without end: {}", *hazard)));
    }
    try {
      node.pattern_regex =
          std::make_shared<const std::regex>(*node.pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return std::unexpected(Invalid(here, fmt::format("bad regular expression: {}", e.what())));
    }
    return {};
  }
  if (key == "minimum") {
    if (!value.is_number()) return std::unexpected(Invalid(here, "\"minimum\" must be a number"));
    node.minimum = value.get<double>();
    return {};
  }
  if (kAnnotations.contains(key)) return {};
  return std::unexpected(Invalid(here, fmt::format("unsupported keyword \"{}\"", key)));
}

payments::Result<std::shared_ptr<const SchemaNode>> ParseNode(const json& s,
                                                              const std::string& at) {
  if (!s.is_object()) return std::unexpected(Invalid(at, "a schema must be an object"));
  auto node = std::make_shared<SchemaNode>();
  for (const auto& [key, value] : s.items()) {
    if (auto st = ParseKeyword(key, value, at, *node); !st) return std::unexpected(st.error());
  }
  return std::shared_ptr<const SchemaNode>(std::move(node));
}

bool HasType(const json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  if (type == "number") return value.is_number();
  if (type == "integer") {
    if (value.is_number_integer()) return true;
    if (!value.is_number_float()) return false;
    const double d = value.get<double>();
    return std::isfinite(d) && d == std::floor(d);
  }
  return false;
}

std::string Describe(const std::vector<std::string>& types) {
  std::string out;
  for (size_t i = 0; i < types.size(); ++i) {
    if (i > 0) out += i + 1 == types.size() ? " or " : ", ";
    out += types[i];
  }
  return out;
}

void ValidateNode(const SchemaNode& node, const json& value, const std::string& at,
                  std::vector<SchemaViolation>& out) {
  if (!node.types.empty() &&
      std::none_of(node.types.begin(), node.types.end(),
                   [&](const std::string& t) { return HasType(value, t); })) {
    out.push_back(
        {at, fmt::format("expected {}, got {}", Describe(node.types), JsonTypeName(value))});
    return;  // the other keywords would only repeat the mismatch
  }
  if (node.enum_values && std::find(node.enum_values->begin(), node.enum_values->end(), value) ==
                              node.enum_values->end()) {
    out.push_back(
        {at, fmt::format("{} is not one of {}", value.dump(), json(*node.enum_values).dump())});
  }
  if (node.pattern_regex && value.is_string() &&
      !std::regex_search(value.get_ref<const std::string&>(), *node.pattern_regex)) {
    out.push_back(
        {at, fmt::format("{} does not match the pattern {}", value.dump(), *node.pattern)});
  }
  if (node.minimum && value.is_number() && value.get<double>() < *node.minimum) {
    out.push_back({at, fmt::format("{} is less than the minimum {}", value.dump(), *node.minimum)});
  }
  if (value.is_object()) {
    for (const std::string& name : node.required) {
      if (!value.contains(name)) {
        out.push_back({at, fmt::format("the required property \"{}\" is missing", name)});
      }
    }
    for (const auto& [name, sub] : value.items()) {
      const std::string here = at + "/" + EscapePointer(name);
      if (auto it = node.properties.find(name); it != node.properties.end()) {
        ValidateNode(*it->second, sub, here, out);
      } else if (node.additional) {
        ValidateNode(*node.additional, sub, here, out);
      } else if (!node.additional_allowed) {
        out.push_back({at, fmt::format("the property \"{}\" is not allowed", name)});
      }
    }
  }
  if (value.is_array() && node.items) {
    for (size_t i = 0; i < value.size(); ++i) {
      ValidateNode(*node.items, value[i], fmt::format("{}/{}", at, i), out);
    }
  }
}

}  // namespace

std::string JsonTypeName(const json& value) {
  if (value.is_number_float()) return HasType(value, "integer") ? "integer" : "number";
  if (value.is_number()) return "integer";
  if (value.is_object()) return "object";
  if (value.is_array()) return "array";
  if (value.is_string()) return "string";
  if (value.is_boolean()) return "boolean";
  return "null";
}

payments::Result<JsonSchema> JsonSchema::Parse(const json& schema) {
  auto root = ParseNode(schema, "");
  if (!root) return std::unexpected(root.error());
  return JsonSchema(std::move(*root));
}

std::vector<SchemaViolation> JsonSchema::Validate(const json& instance) const {
  std::vector<SchemaViolation> out;
  ValidateNode(*root_, instance, "", out);
  return out;
}

}  // namespace payments::events
