// Feature flags: the model. A flag is a key, a type (boolean, or a string
// taking one of a few named variants) and rules stored in the database; the
// code that reads a flag declares it as a typed constant carrying the default
// compiled into it (see known_flags.h), so a flag that is not stored, or not
// readable, still has a value.
//
// Rules, evaluated against the merchant of a request:
//   deny list  -> the off value (wins over everything, so a merchant can be
//                 taken out of a feature in an incident without editing allow)
//   allow list -> the on value
//   rule       -> off for everyone, on for everyone, or a percentage rollout
// A rollout is sticky: a merchant's bucket is a hash of (flag key, merchant id)
// into 10,000 buckets and it is on when its bucket is below the percentage, so
// raising 10 % to 20 % keeps the first 10 % on. For boolean flags "off" is
// false and "on" is true; a string flag names its off and on variants.
//
// Pure values and functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace payments::flags {

enum class FlagType { kBoolean, kString };
std::string_view ToString(FlagType type);
std::optional<FlagType> ParseFlagType(std::string_view text);

enum class Rule { kOff, kOn, kRollout };
std::string_view ToString(Rule rule);
std::optional<Rule> ParseRule(std::string_view text);

// Why an evaluation returned its value.
enum class Reason {
  kDefault,  // no stored definition: the compiled default
  kRule,     // off/on for everyone, or an allow/deny list
  kRollout,  // the merchant's rollout bucket decided
  kError,    // the stored definition does not fit the code (type, variant, unparsable)
};
std::string_view ToString(Reason reason);

// A rollout of 100 % in buckets; percentages have two decimals (one bucket).
inline constexpr int kRolloutBuckets = 10000;

// What is stored for a flag (its key is stored beside it).
struct Definition {
  FlagType type = FlagType::kBoolean;
  // String flags only: the values the flag can take, and which of them it
  // serves when off (and to denied merchants) and when on (and to allowed ones).
  std::vector<std::string> variants;
  std::string off_variant;
  std::string on_variant;
  Rule rule = Rule::kOff;
  int rollout_buckets = 0;         // 0..kRolloutBuckets, for Rule::kRollout: percentage * 100
  std::vector<std::string> allow;  // merchant ids served the on value
  std::vector<std::string> deny;   // merchant ids served the off value
  std::string description;

  bool operator==(const Definition&) const = default;
};

// What a flag is evaluated against. Views: valid for the call only.
struct Context {
  std::string_view merchant_id;  // empty outside a merchant's request (one fixed bucket)
};

template <typename T>
struct Evaluation {
  T value;
  Reason reason = Reason::kDefault;
};

// FNV-1a, the first step of the rollout hash. constexpr so that flag
// declarations carry their key's hash and evaluation never rehashes the key.
constexpr uint64_t kFnvOffsetBasis = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;
constexpr uint64_t FnvAppend(uint64_t hash, std::string_view bytes) {
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  return hash;
}
constexpr uint64_t KeyHash(std::string_view key) { return FnvAppend(kFnvOffsetBasis, key); }

// The merchant's rollout bucket for a flag, 0..9999. Stable across processes,
// machines and versions of this code: changing it would move merchants in and
// out of every running rollout.
int RolloutBucket(std::string_view flag_key, std::string_view merchant_id);
// The same from the flag key's KeyHash (the evaluation path).
int RolloutBucketFromKeyHash(uint64_t key_hash, std::string_view merchant_id);

// A boolean flag as the code declares it:
//   inline constexpr BoolFlag kNewRefunds{"refunds.v2", false, "Refunds through the v2 path"};
struct BoolFlag {
  std::string_view key;
  bool default_value = false;
  std::string_view description;
  uint64_t key_hash = KeyHash(key);
};

// A string flag as the code declares it; default_value is one of variants.
//   inline constexpr std::string_view kModes[] = {"old", "new"};
//   inline constexpr StringFlag kMode{"x.mode", "old", kModes, "..."};
// Evaluation returns views of these variants, valid for the program's life.
struct StringFlag {
  std::string_view key;
  std::string_view default_value;
  std::span<const std::string_view> variants;
  std::string_view description;
  uint64_t key_hash = KeyHash(key);
};

// Keys: lower-case letters, digits, and '.', '_' or '-' between them; 1..128.
bool IsValidFlagKey(std::string_view key);

}  // namespace payments::flags
