// What operators see of a flag: the declaration this binary has for its key
// (if any) merged with what is stored (if anything). The admin API and
// `payments flags list/get --json` return the same JSON object:
//
//   {"object": "flag", "key": "processor.sandbox.enabled", "declared": true,
//    "type": "boolean", "default": true, "description": "...", "stored": true,
//    "definition": {...}, "error": null, "version": 3,
//    "updated_at": "2026-11-24T19:53:30.123Z", "updated_by": "alice"}
//
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "flags/known_flags.h"

namespace payments::flags {

// A stored flag as read from the database; the definition is the stored JSON text.
struct StoredFlag {
  std::string key;
  std::string definition;
  int64_t version = 0;     // 1 when created, +1 per change
  std::string updated_at;  // ISO 8601, UTC
  std::string updated_by;
};

struct FlagView {
  std::string key;
  const KnownFlag* declared = nullptr;  // nullptr: no code in this binary reads it
  std::optional<StoredFlag> stored;
};

// Every declared and every stored flag, in key order.
std::vector<FlagView> MergeFlags(std::span<const StoredFlag> stored,
                                 std::span<const KnownFlag> declared = AllKnownFlags());
// One key (declared, stored, or neither).
FlagView ViewOf(std::string_view key, std::optional<StoredFlag> stored);

nlohmann::ordered_json ToJson(const FlagView& view);
// One line for `flags list`: "off", "rollout 12.5% allow=2 deny=1", "default true".
std::string Summary(const FlagView& view);

}  // namespace payments::flags
