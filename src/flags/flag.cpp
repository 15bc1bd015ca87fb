#include "flags/flag.h"

namespace payments::flags {
namespace {

// MurmurHash3's 64-bit finaliser: FNV-1a alone spreads sequential ids poorly
// over the low digits that the modulo keeps.
constexpr uint64_t Mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

bool IsKeyChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsKeySeparator(char c) { return c == '.' || c == '_' || c == '-'; }

}  // namespace

std::string_view ToString(FlagType type) {
  return type == FlagType::kString ? "string" : "boolean";
}

std::optional<FlagType> ParseFlagType(std::string_view text) {
  if (text == "boolean") return FlagType::kBoolean;
  if (text == "string") return FlagType::kString;
  return std::nullopt;
}

std::string_view ToString(Rule rule) {
  switch (rule) {
    case Rule::kOff:
      return "off";
    case Rule::kOn:
      return "on";
    case Rule::kRollout:
      return "rollout";
  }
  return "off";
}

std::optional<Rule> ParseRule(std::string_view text) {
  if (text == "off") return Rule::kOff;
  if (text == "on") return Rule::kOn;
  if (text == "rollout") return Rule::kRollout;
  return std::nullopt;
}

std::string_view ToString(Reason reason) {
  switch (reason) {
    case Reason::kDefault:
      return "default";
    case Reason::kRule:
      return "rule";
    case Reason::kRollout:
      return "rollout";
    case Reason::kError:
      return "error";
  }
  return "error";
}

int RolloutBucketFromKeyHash(uint64_t key_hash, std::string_view merchant_id) {
  // A NUL between key and merchant: ("a.b", "c") and ("a.bc", "") differ.
  const uint64_t h = FnvAppend(FnvAppend(key_hash, std::string_view("\0", 1)), merchant_id);
  return static_cast<int>(Mix(h) % kRolloutBuckets);
}

int RolloutBucket(std::string_view flag_key, std::string_view merchant_id) {
  return RolloutBucketFromKeyHash(KeyHash(flag_key), merchant_id);
}

bool IsValidFlagKey(std::string_view key) {
  if (key.empty() || key.size() > 128) return false;
  if (!IsKeyChar(key.front()) || !IsKeyChar(key.back())) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    if (IsKeyChar(c)) continue;
    if (!IsKeySeparator(c) || IsKeySeparator(key[i - 1])) return false;
  }
  return true;
}

}  // namespace payments::flags
