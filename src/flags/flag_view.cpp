#include "flags/flag_view.h"

#include <fmt/format.h>

#include <map>

#include "flags/definition_json.h"

namespace payments::flags {
namespace {

using Json = nlohmann::ordered_json;

Json DefaultJson(const KnownFlag& declared) {
  if (const auto* b = std::get_if<const BoolFlag*>(&declared)) return (*b)->default_value;
  return std::get<const StringFlag*>(declared)->default_value;
}

}  // namespace

std::vector<FlagView> MergeFlags(std::span<const StoredFlag> stored,
                                 std::span<const KnownFlag> declared) {
  std::map<std::string, FlagView> by_key;
  for (const KnownFlag& flag : declared) {
    FlagView& view = by_key[std::string(KeyOf(flag))];
    view.key = KeyOf(flag);
    view.declared = &flag;
  }
  for (const StoredFlag& s : stored) {
    FlagView& view = by_key[s.key];
    view.key = s.key;
    if (view.declared == nullptr) view.declared = FindKnownFlag(s.key);
    view.stored = s;
  }
  std::vector<FlagView> out;
  out.reserve(by_key.size());
  for (auto& [key, view] : by_key) out.push_back(std::move(view));
  return out;
}

FlagView ViewOf(std::string_view key, std::optional<StoredFlag> stored) {
  return FlagView{.key = std::string(key), .declared = FindKnownFlag(key), .stored = stored};
}

nlohmann::ordered_json ToJson(const FlagView& view) {
  Json j;
  j["object"] = "flag";
  j["key"] = view.key;
  j["declared"] = view.declared != nullptr;
  if (view.declared != nullptr) {
    j["type"] = ToString(TypeOf(*view.declared));
    j["default"] = DefaultJson(*view.declared);
    j["description"] = DescriptionOf(*view.declared);
  } else {
    j["type"] = nullptr;
    j["default"] = nullptr;
    j["description"] = nullptr;
  }
  j["stored"] = view.stored.has_value();
  if (!view.stored) {
    for (const char* field : {"definition", "error", "version", "updated_at", "updated_by"}) {
      j[field] = nullptr;
    }
    return j;
  }
  const StoredFlag& s = *view.stored;
  auto parsed = ParseDefinitionText(s.definition);
  if (parsed) {
    j["definition"] = ToJson(*parsed);
    j["error"] = nullptr;
    if (view.declared == nullptr) j["type"] = ToString(parsed->type);
  } else {
    // Show what is stored even when this binary cannot use it.
    j["definition"] = Json::parse(s.definition, nullptr, /*allow_exceptions=*/false);
    j["error"] = parsed.error().message;
  }
  j["version"] = s.version;
  j["updated_at"] = s.updated_at;
  j["updated_by"] = s.updated_by;
  return j;
}

std::string Summary(const FlagView& view) {
  if (!view.stored) {
    return view.declared ? fmt::format("default {}", DefaultOf(*view.declared)) : "not stored";
  }
  auto d = ParseDefinitionText(view.stored->definition);
  if (!d) return fmt::format("INVALID ({}); serving the default", d.error().message);
  std::string out;
  switch (d->rule) {
    case Rule::kOff:
      out = "off";
      break;
    case Rule::kOn:
      out = "on";
      break;
    case Rule::kRollout:
      out = fmt::format("rollout {}%", FormatPercentage(d->rollout_buckets));
      break;
  }
  if (d->type == FlagType::kString) {
    out += fmt::format(" (off={} on={})", d->off_variant, d->on_variant);
  }
  if (!d->allow.empty()) out += fmt::format(" allow={}", d->allow.size());
  if (!d->deny.empty()) out += fmt::format(" deny={}", d->deny.size());
  return out;
}

}  // namespace payments::flags
