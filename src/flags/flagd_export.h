// Flags in flagd's flag-definition format (https://flagd.dev/schema/v0/flags.json),
// for teams that evaluate the same flags through OpenFeature:
//
//   {"$schema": "https://flagd.dev/schema/v0/flags.json",
//    "flags": {"processor.sandbox.enabled": {
//      "state": "ENABLED", "variants": {"on": true, "off": false},
//      "defaultVariant": "off",
//      "targeting": {"if": [{"in": [{"var": "targetingKey"}, ["mer_2"]]}, "off",
//                           {"in": [{"var": "targetingKey"}, ["mer_1"]]}, "on",
//                           {"fractional": [{"cat": [{"var": "$flagd.flagKey"},
//                                                    {"var": "targetingKey"}]},
//                                           ["on", 10], ["off", 90]]}]}}}}
//
// The merchant id is the OpenFeature targetingKey. Deny before allow before the
// rule, as here. A rollout keeps its share and its stickiness in flagd, but
// flagd hashes differently (murmur3), so which merchants are in the share
// differs. Declared flags that are not stored are exported with their
// compiled default, so the export is the whole set this binary reads.
// Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "flags/known_flags.h"
#include "flags/snapshot.h"

namespace payments::flags {

struct FlagdExport {
  nlohmann::ordered_json document;
  std::vector<std::string> skipped;  // "key: why" for stored definitions that are unusable
};

FlagdExport ExportFlagd(const std::vector<SnapshotEntry>& stored,
                        std::span<const KnownFlag> known = AllKnownFlags());

}  // namespace payments::flags
