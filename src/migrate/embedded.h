// The files of migrations/ as they were when this binary was built (see
// cmake/EmbedMigrations.cmake). Immutable; thread-safe.
#pragma once

#include <span>
#include <string_view>

namespace payments::migrate {

struct EmbeddedFile {
  std::string_view name;     // "0001_initial.sql"
  std::string_view content;  // the file's bytes
};

// Sorted by name.
std::span<const EmbeddedFile> EmbeddedMigrationFiles();

}  // namespace payments::migrate
