#include "flags/flagd_export.h"

#include <fmt/format.h>

#include <map>

namespace payments::flags {
namespace {

using Json = nlohmann::ordered_json;

Json MerchantIn(const std::vector<std::string>& ids) {
  return Json{{"in", Json::array({Json{{"var", "targetingKey"}}, ids})}};
}

// Percentages that sum to 100, as every flagd version reads them (older ones
// take percentages, newer ones relative weights).
Json Percent(int buckets) {
  if (buckets % 100 == 0) return buckets / 100;
  return buckets / 100.0;
}

Json FromDefinition(const Definition& d, const std::string& description) {
  Json flag;
  flag["state"] = "ENABLED";
  std::string off = "off";
  std::string on = "on";
  if (d.type == FlagType::kBoolean) {
    flag["variants"] = Json{{"on", true}, {"off", false}};
  } else {
    off = d.off_variant;
    on = d.on_variant;
    Json variants = Json::object();
    for (const std::string& v : d.variants) variants[v] = v;
    flag["variants"] = std::move(variants);
  }
  // What flagd serves when targeting yields nothing (no targetingKey, or no
  // branch of the "if" matched).
  flag["defaultVariant"] = d.rule == Rule::kOn ? on : off;

  Json branches = Json::array();
  if (!d.deny.empty()) {
    branches.push_back(MerchantIn(d.deny));
    branches.push_back(off);
  }
  if (!d.allow.empty()) {
    branches.push_back(MerchantIn(d.allow));
    branches.push_back(on);
  }
  const bool partial =
      d.rule == Rule::kRollout && d.rollout_buckets > 0 && d.rollout_buckets < kRolloutBuckets;
  Json fractional;
  if (partial) {
    fractional =
        Json{{"fractional",
              Json::array({Json{{"cat", Json::array({Json{{"var", "$flagd.flagKey"}},
                                                     Json{{"var", "targetingKey"}}})}},
                           Json::array({on, Percent(d.rollout_buckets)}),
                           Json::array({off, Percent(kRolloutBuckets - d.rollout_buckets)})})}};
  } else if (d.rule == Rule::kRollout && d.rollout_buckets >= kRolloutBuckets) {
    flag["defaultVariant"] = on;
  }
  if (branches.empty() && partial) {
    flag["targeting"] = std::move(fractional);
  } else if (!branches.empty()) {
    if (partial) branches.push_back(std::move(fractional));
    flag["targeting"] = Json{{"if", std::move(branches)}};
  }
  if (!description.empty()) flag["metadata"] = Json{{"description", description}};
  return flag;
}

Json FromDeclaration(const KnownFlag& known) {
  Json flag;
  flag["state"] = "ENABLED";
  if (const auto* b = std::get_if<const BoolFlag*>(&known)) {
    flag["variants"] = Json{{"on", true}, {"off", false}};
    flag["defaultVariant"] = (*b)->default_value ? "on" : "off";
  } else {
    const StringFlag* s = std::get<const StringFlag*>(known);
    Json variants = Json::object();
    for (std::string_view v : s->variants) variants[std::string(v)] = v;
    flag["variants"] = std::move(variants);
    flag["defaultVariant"] = s->default_value;
  }
  flag["metadata"] = Json{{"description", DescriptionOf(known)}, {"source", "compiled default"}};
  return flag;
}

}  // namespace

FlagdExport ExportFlagd(const std::vector<SnapshotEntry>& stored,
                        std::span<const KnownFlag> known) {
  std::map<std::string, Json> flags;
  FlagdExport out;
  for (const SnapshotEntry& entry : stored) {
    if (!entry.definition) {
      out.skipped.push_back(fmt::format("{}: {}", entry.key, entry.definition.error().message));
      continue;
    }
    flags[entry.key] = FromDefinition(*entry.definition, entry.definition->description);
  }
  for (const KnownFlag& flag : known) {
    const std::string key(KeyOf(flag));
    if (!flags.contains(key)) flags[key] = FromDeclaration(flag);
  }
  Json all = Json::object();
  for (auto& [key, flag] : flags) all[key] = std::move(flag);
  out.document = Json{{"$schema", "https://flagd.dev/schema/v0/flags.json"}, {"flags", all}};
  return out;
}

}  // namespace payments::flags
