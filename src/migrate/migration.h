// A migration as read from migrations/ (or from the copy embedded in the
// binary): version, name, SQL split into statements, the optional undo SQL
// beside it, the SHA-256 checksum that `validate` compares, and the
// directives read from its leading comment block. Files are named
// "<version>_<name>.sql" with a zero-padded version, the undo file
// "<version>_<name>.down.sql"; versions sort numerically.
//
// Directives (docs/operations/migrations.md has the whole story):
//   -- migrate:phase expand|contract|none
//   -- migrate:lock_timeout 2s            (ms, s or min; bare numbers are ms)
//   -- migrate:statement_timeout 5min
//   -- migrate:backfill UPDATE payments SET net = amount_captured - amount_refunded
//   --     WHERE net IS NULL               (a line with "--" and 2+ spaces continues it)
//   -- migrate:transition payments
//   -- migrate:new-column first_name text = split_part(full_name, ' ', 1)
//   -- migrate:old-column full_name = concat_ws(' ', first_name, last_name)
//   -- migrate:complete-transition 0005
// Values; thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "migrate/embedded.h"
#include "migrate/sql_lexer.h"

namespace payments::migrate {

enum class Phase { kNone, kExpand, kContract };
std::string_view ToString(Phase phase);
std::optional<Phase> ParsePhase(std::string_view text);

// "UPDATE <table> SET <assignments> [WHERE <condition>]", run by the engine
// one primary-key range at a time, each range in its own short transaction.
struct Backfill {
  std::string table;      // as written: payments, public.payments
  std::string set;        // "net = amount_captured - amount_refunded"
  std::string condition;  // "net IS NULL", or empty
  int line = 0;
};

// A column transition (rename, type change, split, merge): new columns, each
// with the expression that computes it from the old ones, and old columns,
// each with the expression that computes it from the new ones.
struct Transition {
  struct NewColumn {
    std::string name;
    std::string type;
    std::string expression;  // over the old columns
  };
  struct OldColumn {
    std::string name;
    std::string expression;  // over the new columns
  };
  std::string table;
  std::vector<NewColumn> new_columns;
  std::vector<OldColumn> old_columns;
  int line = 0;
};

struct Migration {
  int64_t version = 0;
  std::string name;      // "initial"
  std::string filename;  // "0001_initial.sql"
  std::string sql;
  std::optional<std::string> down_sql;
  std::string checksum;  // SHA-256 hex of sql
  Phase phase = Phase::kNone;
  std::optional<std::chrono::milliseconds> lock_timeout;
  std::optional<std::chrono::milliseconds> statement_timeout;
  std::vector<Backfill> backfills;
  std::vector<Transition> transitions;
  std::vector<int64_t> complete_transitions;  // versions whose transitions this one finishes
  std::vector<Statement> statements;          // the body, in order
  std::vector<Statement> down_statements;

  // Whether `down` can undo it: an undo file, or nothing but transitions and
  // backfills, which the engine knows how to remove.
  bool reversible() const;
};

// Parses a set of files (name, content) into migrations sorted by version.
// Fails on a malformed name, a duplicate version, an undo file without its
// migration, an unknown or malformed directive, or SQL that does not lex
// (an unterminated string or comment); the message names file and line.
payments::Result<std::vector<Migration>> ParseMigrationFiles(std::span<const EmbeddedFile> files);

// Parses one "NNNN_name.sql" file on its own.
payments::Result<Migration> ParseMigration(std::string_view filename, std::string_view content);

// The migrations built into this binary.
payments::Result<std::vector<Migration>> LoadEmbeddedMigrations();
// The migrations in a directory (`--dir`).
payments::Result<std::vector<Migration>> LoadMigrationDirectory(const std::string& dir);

// The highest version built into this binary (0 when none).
int64_t BuiltInSchemaVersion();

// Zero-padded version as in file names: 5 -> "0005".
std::string FormatVersion(int64_t version);

}  // namespace payments::migrate
