// A change to a flag expressed as options (`payments flags set KEY --off
// --add-deny mer_1`), applied to the stored definition, or to a fresh one
// derived from the flag's declaration when nothing is stored. The result is
// checked against the declaration and validated, so what it returns can be
// stored as is.
//
//   DefinitionEdit edit;
//   edit.rollout_buckets = 2000;                       // --percentage 20
//   Result<Definition> next = ApplyEdit("refunds.v2", stored_json, edit);
//
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "flags/flag.h"

namespace payments::flags {

struct DefinitionEdit {
  std::optional<std::string> json;  // replaces the whole definition; nothing else may be set
  std::optional<FlagType> type;
  std::optional<std::vector<std::string>> variants;
  std::optional<std::string> off_variant;
  std::optional<std::string> on_variant;
  std::optional<Rule> rule;
  std::optional<int> rollout_buckets;             // implies rule rollout
  std::optional<std::vector<std::string>> allow;  // replaces the list
  std::optional<std::vector<std::string>> deny;
  std::vector<std::string> add_allow, remove_allow, add_deny, remove_deny;
  std::optional<std::string> description;
  bool allow_unknown = false;  // accept a key that no code in this binary declares

  // Whether anything but json and allow_unknown is set.
  bool HasFieldEdits() const;
};

// stored_json: the stored definition's text, or nullopt when none is stored.
payments::Result<Definition> ApplyEdit(std::string_view key,
                                       const std::optional<std::string>& stored_json,
                                       const DefinitionEdit& edit);

}  // namespace payments::flags
