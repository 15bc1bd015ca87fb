#include "flags/known_flags.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "flags/definition_json.h"

namespace payments::flags {
namespace {

// In key order (AllKnownFlags promises it; a test checks).
constexpr std::array<KnownFlag, 2> kAll = {
    KnownFlag(&known::kProcessorSandboxEnabled),
    KnownFlag(&known::kProcessorTransactionIdStage),
};

// Processor name -> its kill switch.
constexpr std::array<std::pair<std::string_view, const BoolFlag*>, 1> kProcessorSwitches = {{
    {"sandbox", &known::kProcessorSandboxEnabled},
}};

}  // namespace

std::string_view KeyOf(const KnownFlag& flag) {
  return std::visit([](const auto* f) { return f->key; }, flag);
}

FlagType TypeOf(const KnownFlag& flag) {
  return std::holds_alternative<const BoolFlag*>(flag) ? FlagType::kBoolean : FlagType::kString;
}

std::string_view DescriptionOf(const KnownFlag& flag) {
  return std::visit([](const auto* f) { return f->description; }, flag);
}

std::string_view DefaultOf(const KnownFlag& flag) {
  if (const auto* b = std::get_if<const BoolFlag*>(&flag)) {
    return (*b)->default_value ? "true" : "false";
  }
  return std::get<const StringFlag*>(flag)->default_value;
}

const BoolFlag* known::ProcessorEnabledFlag(std::string_view processor) {
  for (const auto& [name, flag] : kProcessorSwitches) {
    if (name == processor) return flag;
  }
  return nullptr;
}

std::span<const KnownFlag> AllKnownFlags() { return kAll; }

const KnownFlag* FindKnownFlag(std::string_view key) {
  for (const KnownFlag& flag : kAll) {
    if (KeyOf(flag) == key) return &flag;
  }
  return nullptr;
}

payments::Status CheckAgainstKnown(std::string_view key, const Definition& definition,
                                   bool allow_unknown) {
  const KnownFlag* known = FindKnownFlag(key);
  if (known == nullptr) {
    if (allow_unknown) return {};
    std::string keys;
    for (const KnownFlag& flag : kAll)
      keys += fmt::format("{}{}", keys.empty() ? "" : ", ", KeyOf(flag));
    return std::unexpected(InvalidDefinition(
        "key", fmt::format("no code in this binary reads flag '{}' (known flags: {}); check the "
                           "spelling, or allow an unknown key for a flag a newer release reads",
                           key, keys)));
  }
  if (TypeOf(*known) != definition.type) {
    return std::unexpected(InvalidDefinition(
        "type", fmt::format("flag '{}' is a {} flag, not {}", key, ToString(TypeOf(*known)),
                            ToString(definition.type))));
  }
  if (const auto* s = std::get_if<const StringFlag*>(known)) {
    for (size_t i = 0; i < definition.variants.size(); ++i) {
      const std::string& v = definition.variants[i];
      if (std::find((*s)->variants.begin(), (*s)->variants.end(), v) == (*s)->variants.end()) {
        std::string names;
        for (std::string_view n : (*s)->variants) {
          names += fmt::format("{}{}", names.empty() ? "" : ", ", n);
        }
        return std::unexpected(InvalidDefinition(
            fmt::format("variants[{}]", i),
            fmt::format("flag '{}' has no variant '{}' (its variants: {})", key, v, names)));
      }
    }
  }
  return {};
}

}  // namespace payments::flags
