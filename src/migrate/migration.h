// A migration as read from migrations/ (or from the copy embedded in the
// binary): version, name, SQL, the optional undo SQL beside it, the SHA-256
// checksum that `validate` compares, and the directives read from its leading
// comments. Files are named "<version>_<name>.sql" with a zero-padded version,
// the undo file "<version>_<name>.down.sql"; versions sort numerically.
// Values; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "migrate/embedded.h"

namespace payments::migrate {

enum class Phase { kNone, kExpand, kContract };
std::string_view ToString(Phase phase);
std::optional<Phase> ParsePhase(std::string_view text);

struct Migration {
  int64_t version = 0;
  std::string name;      // "initial"
  std::string filename;  // "0001_initial.sql"
  std::string sql;
  std::optional<std::string> down_sql;
  std::string checksum;  // SHA-256 hex of sql
  Phase phase = Phase::kNone;
};

// Parses a set of files (name, content) into migrations sorted by version.
// Fails on a malformed name, a duplicate version or an undo file without its
// migration.
payments::Result<std::vector<Migration>> ParseMigrationFiles(std::span<const EmbeddedFile> files);

// The migrations built into this binary.
payments::Result<std::vector<Migration>> LoadEmbeddedMigrations();
// The migrations in a directory (`--dir`).
payments::Result<std::vector<Migration>> LoadMigrationDirectory(const std::string& dir);

// The highest version built into this binary (0 when none).
int64_t BuiltInSchemaVersion();

}  // namespace payments::migrate
