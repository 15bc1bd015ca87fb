#include "flags/definition_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

namespace payments::flags {
namespace {

payments::Error Invalid(std::string param, std::string message) {
  return InvalidDefinition(std::move(param), std::move(message));
}

bool IsMerchantIdChar(char c) {
  // Printable ASCII without space and comma: the CLI separates lists by commas.
  return c > ' ' && c <= '~' && c != ',';
}

bool IsVariantChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

payments::Status ValidateList(const std::vector<std::string>& list, std::string_view field) {
  if (list.size() > kMaxListSize) {
    return std::unexpected(
        Invalid(std::string(field), fmt::format("{} has {} merchant ids; at most {} are allowed",
                                                field, list.size(), kMaxListSize)));
  }
  std::set<std::string_view> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string& id = list[i];
    const std::string param = fmt::format("{}[{}]", field, i);
    if (id.empty() || id.size() > kMaxMerchantIdLength ||
        !std::all_of(id.begin(), id.end(), IsMerchantIdChar)) {
      return std::unexpected(Invalid(
          param, fmt::format("{} must be a merchant id of 1 to {} printable characters without "
                             "spaces or commas",
                             param, kMaxMerchantIdLength)));
    }
    if (!seen.insert(id).second) {
      return std::unexpected(Invalid(param, fmt::format("{} repeats merchant id '{}'", param, id)));
    }
  }
  return {};
}

payments::Status ValidateVariants(const Definition& d) {
  if (d.type == FlagType::kBoolean) {
    if (!d.variants.empty()) {
      return std::unexpected(Invalid("variants", "variants apply only to string flags"));
    }
    if (!d.off_variant.empty()) {
      return std::unexpected(Invalid("off_variant", "off_variant applies only to string flags"));
    }
    if (!d.on_variant.empty()) {
      return std::unexpected(Invalid("on_variant", "on_variant applies only to string flags"));
    }
    return {};
  }
  if (d.variants.empty() || d.variants.size() > kMaxVariants) {
    return std::unexpected(
        Invalid("variants",
                fmt::format("variants must list 1 to {} values for a string flag", kMaxVariants)));
  }
  std::set<std::string_view> seen;
  for (size_t i = 0; i < d.variants.size(); ++i) {
    const std::string& v = d.variants[i];
    const std::string param = fmt::format("variants[{}]", i);
    if (v.empty() || v.size() > kMaxVariantLength ||
        !std::all_of(v.begin(), v.end(), IsVariantChar)) {
      return std::unexpected(Invalid(
          param, fmt::format("{} must be 1 to {} characters of letters, digits, '_', '-' or '.'",
                             param, kMaxVariantLength)));
    }
    if (!seen.insert(v).second) {
      return std::unexpected(Invalid(param, fmt::format("{} repeats variant '{}'", param, v)));
    }
  }
  for (const auto& [field, value] :
       {std::pair<std::string_view, const std::string*>{"off_variant", &d.off_variant},
        {"on_variant", &d.on_variant}}) {
    if (value->empty()) {
      return std::unexpected(
          Invalid(std::string(field), fmt::format("{} is required for a string flag", field)));
    }
    if (!seen.contains(*value)) {
      return std::unexpected(Invalid(
          std::string(field), fmt::format("{} '{}' is not one of the variants", field, *value)));
    }
  }
  return {};
}

// Typed field readers: each names the field in its error.
payments::Result<std::string> GetString(const nlohmann::json& v, std::string_view field) {
  if (!v.is_string()) {
    return std::unexpected(Invalid(std::string(field), fmt::format("{} must be a string", field)));
  }
  return v.get<std::string>();
}

payments::Result<std::vector<std::string>> GetStringList(const nlohmann::json& v,
                                                         std::string_view field) {
  if (!v.is_array()) {
    return std::unexpected(
        Invalid(std::string(field), fmt::format("{} must be an array of strings", field)));
  }
  std::vector<std::string> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    auto s = GetString(v[i], fmt::format("{}[{}]", field, i));
    if (!s) return std::unexpected(s.error());
    out.push_back(std::move(*s));
  }
  return out;
}

payments::Result<int> PercentageFromJson(const nlohmann::json& v) {
  if (!v.is_number()) {
    return std::unexpected(Invalid("percentage", "percentage must be a number from 0 to 100"));
  }
  // Through text, so 12.34 means 1234 buckets and 12.345 is refused rather
  // than rounded by binary floating point.
  const std::string text = v.is_number_float() ? fmt::format("{}", v.get<double>()) : v.dump();
  return ParsePercentage(text, "percentage");
}

}  // namespace

payments::Error InvalidDefinition(std::string param, std::string message) {
  return payments::Error::InvalidRequest("flag_definition_invalid", std::move(message),
                                         std::move(param));
}

payments::Status Validate(const Definition& d) {
  if (auto s = ValidateVariants(d); !s) return s;
  if (d.rule == Rule::kRollout) {
    if (d.rollout_buckets < 0 || d.rollout_buckets > kRolloutBuckets) {
      return std::unexpected(Invalid("percentage", "percentage must be from 0 to 100"));
    }
  } else if (d.rollout_buckets != 0) {
    return std::unexpected(Invalid(
        "percentage", fmt::format("percentage applies only to rule 'rollout' (the rule is '{}')",
                                  ToString(d.rule))));
  }
  if (auto s = ValidateList(d.allow, "allow"); !s) return s;
  if (auto s = ValidateList(d.deny, "deny"); !s) return s;
  if (d.description.size() > kMaxDescriptionLength) {
    return std::unexpected(Invalid(
        "description", fmt::format("description must be at most {} bytes", kMaxDescriptionLength)));
  }
  return {};
}

payments::Result<Definition> ParseDefinition(const nlohmann::json& json) {
  if (!json.is_object()) {
    return std::unexpected(Invalid("", "a flag definition must be a JSON object"));
  }
  static const std::set<std::string, std::less<>> kFields = {
      "type",       "variants", "off_variant", "on_variant", "rule",
      "percentage", "allow",    "deny",        "description"};
  for (const auto& [name, value] : json.items()) {
    if (!kFields.contains(name)) {
      return std::unexpected(Invalid(name, fmt::format("unknown field '{}' (known: type, rule, "
                                                       "percentage, allow, deny, variants, "
                                                       "off_variant, on_variant, description)",
                                                       name)));
    }
  }
  Definition d;
  if (!json.contains("type")) {
    return std::unexpected(Invalid("type", "type is required: 'boolean' or 'string'"));
  }
  auto type_text = GetString(json["type"], "type");
  if (!type_text) return std::unexpected(type_text.error());
  auto type = ParseFlagType(*type_text);
  if (!type) {
    return std::unexpected(
        Invalid("type", fmt::format("type must be 'boolean' or 'string' (got '{}')", *type_text)));
  }
  d.type = *type;
  if (!json.contains("rule")) {
    return std::unexpected(Invalid("rule", "rule is required: 'off', 'on' or 'rollout'"));
  }
  auto rule_text = GetString(json["rule"], "rule");
  if (!rule_text) return std::unexpected(rule_text.error());
  auto rule = ParseRule(*rule_text);
  if (!rule) {
    return std::unexpected(Invalid(
        "rule", fmt::format("rule must be 'off', 'on' or 'rollout' (got '{}')", *rule_text)));
  }
  d.rule = *rule;
  if (json.contains("percentage")) {
    auto p = PercentageFromJson(json["percentage"]);
    if (!p) return std::unexpected(p.error());
    d.rollout_buckets = *p;
    if (d.rule != Rule::kRollout) {
      return std::unexpected(Invalid(
          "percentage",
          fmt::format("percentage applies only to rule 'rollout' (the rule is '{}')", *rule_text)));
    }
  } else if (d.rule == Rule::kRollout) {
    return std::unexpected(Invalid("percentage", "percentage is required for rule 'rollout'"));
  }
  for (auto [field, target] :
       {std::pair<const char*, std::vector<std::string>*>{"variants", &d.variants},
        {"allow", &d.allow},
        {"deny", &d.deny}}) {
    if (!json.contains(field)) continue;
    auto list = GetStringList(json[field], field);
    if (!list) return std::unexpected(list.error());
    *target = std::move(*list);
  }
  for (auto [field, target] : {std::pair<const char*, std::string*>{"off_variant", &d.off_variant},
                               {"on_variant", &d.on_variant},
                               {"description", &d.description}}) {
    if (!json.contains(field)) continue;
    auto s = GetString(json[field], field);
    if (!s) return std::unexpected(s.error());
    *target = std::move(*s);
  }
  if (auto s = Validate(d); !s) return std::unexpected(s.error());
  return d;
}

payments::Result<Definition> ParseDefinitionText(std::string_view text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return std::unexpected(Invalid("", "the flag definition is not valid JSON"));
  }
  return ParseDefinition(json);
}

nlohmann::ordered_json ToJson(const Definition& d) {
  nlohmann::ordered_json j;
  j["type"] = ToString(d.type);
  if (d.type == FlagType::kString) {
    j["variants"] = d.variants;
    j["off_variant"] = d.off_variant;
    j["on_variant"] = d.on_variant;
  }
  j["rule"] = ToString(d.rule);
  if (d.rule == Rule::kRollout) {
    // An integer when whole, so the JSON reads "percentage": 10, not 10.0.
    if (d.rollout_buckets % 100 == 0) {
      j["percentage"] = d.rollout_buckets / 100;
    } else {
      j["percentage"] = d.rollout_buckets / 100.0;
    }
  }
  j["allow"] = d.allow;
  j["deny"] = d.deny;
  j["description"] = d.description;
  return j;
}

payments::Result<int> ParsePercentage(std::string_view text, std::string_view param) {
  auto invalid = [&] {
    return Invalid(std::string(param),
                   fmt::format("{} must be a number from 0 to 100 with at most two decimals (got "
                               "'{}')",
                               param, text));
  };
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  // "12.50" and "12.5" alike; trailing zeros carry no precision.
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  if (whole.empty() || fraction.size() > 2) return std::unexpected(invalid());
  int units = 0;
  auto [p, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), units);
  if (ec != std::errc() || p != whole.data() + whole.size() || units < 0 || units > 100) {
    return std::unexpected(invalid());
  }
  int hundredths = 0;
  for (size_t i = 0; i < 2; ++i) {
    hundredths *= 10;
    if (i < fraction.size()) {
      if (fraction[i] < '0' || fraction[i] > '9') return std::unexpected(invalid());
      hundredths += fraction[i] - '0';
    }
  }
  const int buckets = units * 100 + hundredths;
  if (buckets > kRolloutBuckets) return std::unexpected(invalid());
  return buckets;
}

std::string FormatPercentage(int buckets) {
  if (buckets % 100 == 0) return std::to_string(buckets / 100);
  if (buckets % 10 == 0) return fmt::format("{}.{}", buckets / 100, (buckets % 100) / 10);
  return fmt::format("{}.{:02}", buckets / 100, buckets % 100);
}

}  // namespace payments::flags
