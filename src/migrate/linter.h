// The migration safety linter: the rule classes of squawk and
// strong_migrations, applied to migration files before they reach a
// database. Each finding names the file, the line, the rule and the safe
// alternative. A statement may silence a rule only with a comment that says
// why:
//   -- migrate:lint-ignore create-index-non-concurrent: the table holds ten rows
// A table created in the same migration is new: locking it harms nobody.
// Pure functions over values; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "migrate/migration.h"

namespace payments::migrate {

struct LintRule {
  std::string_view id;           // "create-index-non-concurrent"
  std::string_view why;          // the harm, one sentence
  std::string_view alternative;  // what to write instead
};

// Every rule, for docs and for checking lint-ignore comments.
const std::vector<LintRule>& LintRules();

struct LintFinding {
  std::string file;  // the path as given to the linter
  int line = 0;
  std::string rule;
  std::string message;      // what is wrong here
  std::string alternative;  // the safe way

  // "file:line: rule: message. Instead: alternative"
  std::string ToString() const;
};

struct LintInput {
  const Migration* migration = nullptr;
  std::string path;    // shown in findings
  bool report = true;  // false: only context (earlier files), findings dropped
};

// Lints the migrations in order (sorted by version by the caller); what
// earlier ones do (a CHECK validated before SET NOT NULL) counts for later ones.
std::vector<LintFinding> Lint(const std::vector<LintInput>& inputs);

}  // namespace payments::migrate
