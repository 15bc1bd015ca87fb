// The JSON form of a flag definition and its validation. The same form is
// stored in the database, returned and accepted by the admin API and by
// `payments flags set --json`:
//
//   {"type": "boolean", "rule": "rollout", "percentage": 12.5,
//    "allow": ["mer_1"], "deny": [], "description": "..."}
//   {"type": "string", "variants": ["old", "write_both", "read_new"],
//    "off_variant": "write_both", "on_variant": "read_new", "rule": "off"}
//
// Parsing is strict: an unknown field is an error (a typo such as "percent"
// must not silently leave a flag at 0 %). Every error is an InvalidRequest with
// code "flag_definition_invalid", a message naming the field and `param` set to
// the field's path inside the definition ("percentage", "allow[3]").
// Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.h"
#include "flags/flag.h"

namespace payments::flags {

inline constexpr size_t kMaxListSize = 10000;
inline constexpr size_t kMaxMerchantIdLength = 255;
inline constexpr size_t kMaxVariants = 32;
inline constexpr size_t kMaxVariantLength = 64;
inline constexpr size_t kMaxDescriptionLength = 500;

// The error every definition check returns: InvalidRequest, code
// "flag_definition_invalid", param the field's path inside the definition.
payments::Error InvalidDefinition(std::string param, std::string message);

// Checks the invariants of a definition built in code (the CLI's options).
payments::Status Validate(const Definition& definition);

// Parses and validates.
payments::Result<Definition> ParseDefinition(const nlohmann::json& json);
payments::Result<Definition> ParseDefinitionText(std::string_view text);

nlohmann::ordered_json ToJson(const Definition& definition);

// A percentage in buckets: "12.5" -> 1250. At most two decimals, 0..100.
payments::Result<int> ParsePercentage(std::string_view text, std::string_view param);
// 1250 -> "12.5", 10000 -> "100".
std::string FormatPercentage(int buckets);

}  // namespace payments::flags
