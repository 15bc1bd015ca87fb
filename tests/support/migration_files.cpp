#include "support/migration_files.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace payments::testing {

std::vector<migrate::Migration> MigrationsFrom(const MigrationFiles& files) {
  std::vector<migrate::EmbeddedFile> embedded;
  for (const auto& [name, content] : files) embedded.push_back({name, content});
  auto parsed = migrate::ParseMigrationFiles(embedded);
  if (!parsed) {
    ADD_FAILURE() << parsed.error().message;
    return {};
  }
  return std::move(*parsed);
}

std::string InstancesMigrationSql() {
  std::ifstream in(std::string(PAYMENTS_SOURCE_DIR) + "/migrations/0002_instances.sql");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << "migrations/0002_instances.sql is missing";
  return ss.str();
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/payments-migrations-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  if (dir == nullptr) ADD_FAILURE() << "mkdtemp failed";
  path_ = dir ? dir : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void WriteFiles(const std::string& dir, const MigrationFiles& files) {
  for (const auto& [name, content] : files) {
    std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) ADD_FAILURE() << "cannot write " << dir << "/" << name;
  }
}

}  // namespace payments::testing
