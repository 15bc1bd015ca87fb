#include "flags/definition_edit.h"

#include <fmt/format.h>

#include <algorithm>

#include "flags/definition_json.h"
#include "flags/known_flags.h"

namespace payments::flags {
namespace {

// What an unstored flag starts from: its declaration's default behaviour.
payments::Result<Definition> Fresh(std::string_view key, const DefinitionEdit& edit) {
  Definition d;
  const KnownFlag* declared = FindKnownFlag(key);
  if (declared == nullptr) {
    // Most likely a misspelt key: say so before asking for a type.
    if (!edit.allow_unknown) {
      if (auto s = CheckAgainstKnown(key, d, false); !s) return std::unexpected(s.error());
    }
    if (!edit.type) {
      return std::unexpected(InvalidDefinition(
          "type", fmt::format("no code in this binary declares flag '{}', so its type must be "
                              "given ('boolean' or 'string')",
                              key)));
    }
    d.type = *edit.type;
    return d;
  }
  if (const auto* b = std::get_if<const BoolFlag*>(declared)) {
    d.rule = (*b)->default_value ? Rule::kOn : Rule::kOff;
    return d;
  }
  const StringFlag* s = std::get<const StringFlag*>(*declared);
  d.type = FlagType::kString;
  d.variants.assign(s->variants.begin(), s->variants.end());
  d.off_variant = s->default_value;
  return d;
}

void Add(std::vector<std::string>& list, const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    if (std::find(list.begin(), list.end(), id) == list.end()) list.push_back(id);
  }
}

void Remove(std::vector<std::string>& list, const std::vector<std::string>& ids) {
  std::erase_if(list, [&](const std::string& id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  });
}

}  // namespace

bool DefinitionEdit::HasFieldEdits() const {
  return type || variants || off_variant || on_variant || rule || rollout_buckets || allow ||
         deny || !add_allow.empty() || !remove_allow.empty() || !add_deny.empty() ||
         !remove_deny.empty() || description;
}

payments::Result<Definition> ApplyEdit(std::string_view key,
                                       const std::optional<std::string>& stored_json,
                                       const DefinitionEdit& edit) {
  Definition d;
  if (edit.json) {
    if (edit.HasFieldEdits()) {
      return std::unexpected(InvalidDefinition(
          "json", "a whole definition (JSON) replaces the flag; give no other field with it"));
    }
    auto parsed = ParseDefinitionText(*edit.json);
    if (!parsed) return parsed;
    d = std::move(*parsed);
  } else {
    if (stored_json) {
      auto parsed = ParseDefinitionText(*stored_json);
      if (!parsed) {
        return std::unexpected(InvalidDefinition(
            "json", fmt::format("the stored definition of '{}' is unusable ({}); replace it "
                                "whole with a JSON definition",
                                key, parsed.error().message)));
      }
      d = std::move(*parsed);
    } else {
      auto fresh = Fresh(key, edit);
      if (!fresh) return fresh;
      d = std::move(*fresh);
    }
    if (edit.type && *edit.type != d.type) {
      d.type = *edit.type;
      if (d.type == FlagType::kBoolean) {
        d.variants.clear();
        d.off_variant.clear();
        d.on_variant.clear();
      }
    }
    if (edit.variants) d.variants = *edit.variants;
    if (edit.off_variant) d.off_variant = *edit.off_variant;
    if (edit.on_variant) d.on_variant = *edit.on_variant;
    if (edit.description) d.description = *edit.description;

    if (edit.rollout_buckets) {
      if (edit.rule && *edit.rule != Rule::kRollout) {
        return std::unexpected(InvalidDefinition(
            "percentage", fmt::format("percentage applies only to rule 'rollout' (the rule given "
                                      "is '{}')",
                                      ToString(*edit.rule))));
      }
      d.rule = Rule::kRollout;
      d.rollout_buckets = *edit.rollout_buckets;
    } else if (edit.rule) {
      if (*edit.rule == Rule::kRollout && d.rule != Rule::kRollout) {
        return std::unexpected(
            InvalidDefinition("percentage", "percentage is required for rule 'rollout'"));
      }
      d.rule = *edit.rule;
      if (d.rule != Rule::kRollout) d.rollout_buckets = 0;
    }

    if (edit.allow) d.allow = *edit.allow;
    if (edit.deny) d.deny = *edit.deny;
    Add(d.allow, edit.add_allow);
    Add(d.deny, edit.add_deny);
    Remove(d.allow, edit.remove_allow);
    Remove(d.deny, edit.remove_deny);
  }
  if (auto s = Validate(d); !s) return std::unexpected(s.error());
  // A stored flag is no typo, declared or not.
  const bool allow_unknown = edit.allow_unknown || stored_json.has_value();
  if (auto s = CheckAgainstKnown(key, d, allow_unknown); !s) return std::unexpected(s.error());
  return d;
}

}  // namespace payments::flags
