// Synthetic migration sets for tests of the migration engine: parsed in
// memory for the library, or written to a fresh directory for the binary's
// --dir. Test tables stay small and apart from the service's schema.
//
//   auto migrations = MigrationsFrom({{"0001_t.sql", "CREATE TABLE t (...);"}});
//   TempDir dir;  WriteFiles(dir.path(), {{"0001_t.sql", "..."}});
//
// Not thread-safe; one per test.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "migrate/migration.h"

namespace payments::testing {

using MigrationFiles = std::vector<std::pair<std::string, std::string>>;

// Parses the files; fails the calling test (and returns none) when they do not parse.
std::vector<migrate::Migration> MigrationsFrom(const MigrationFiles& files);

// The service's migration that creates the instance registry, for synthetic
// sets that exercise the contract interlock.
std::string InstancesMigrationSql();

// A directory under /tmp, removed with everything in it when this goes away.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes (or overwrites) the files into dir.
void WriteFiles(const std::string& dir, const MigrationFiles& files);

}  // namespace payments::testing
