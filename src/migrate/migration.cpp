#include "migrate/migration.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/crypto.h"

namespace payments::migrate {
namespace {

struct ParsedName {
  int64_t version;
  std::string name;
  bool down;
};

std::optional<ParsedName> ParseName(std::string_view file) {
  if (!file.ends_with(".sql")) return std::nullopt;
  std::string_view stem = file.substr(0, file.size() - 4);
  bool down = false;
  if (stem.ends_with(".down")) {
    down = true;
    stem.remove_suffix(5);
  }
  const size_t underscore = stem.find('_');
  if (underscore == std::string_view::npos || underscore == 0 || underscore + 1 >= stem.size()) {
    return std::nullopt;
  }
  const std::string_view digits = stem.substr(0, underscore);
  int64_t version = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || version <= 0) {
    return std::nullopt;
  }
  const std::string_view name = stem.substr(underscore + 1);
  if (!std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      })) {
    return std::nullopt;
  }
  return ParsedName{version, std::string(name), down};
}

// Directives live in the leading comment block: "-- migrate:phase expand".
Phase ReadPhase(std::string_view sql) {
  std::istringstream in{std::string(sql)};
  std::string line;
  while (std::getline(in, line)) {
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    if (line.compare(start, 2, "--") != 0) break;
    const size_t pos = line.find("migrate:phase");
    if (pos != std::string::npos) {
      std::istringstream words(line.substr(pos + 13));
      std::string value;
      words >> value;
      if (auto p = ParsePhase(value)) return *p;
    }
  }
  return Phase::kNone;
}

}  // namespace

std::string_view ToString(Phase phase) {
  switch (phase) {
    case Phase::kExpand:
      return "expand";
    case Phase::kContract:
      return "contract";
    case Phase::kNone:
      return "none";
  }
  return "none";
}

std::optional<Phase> ParsePhase(std::string_view text) {
  if (text == "expand") return Phase::kExpand;
  if (text == "contract") return Phase::kContract;
  if (text == "none") return Phase::kNone;
  return std::nullopt;
}

payments::Result<std::vector<Migration>> ParseMigrationFiles(std::span<const EmbeddedFile> files) {
  std::map<int64_t, Migration> by_version;
  std::map<int64_t, std::pair<std::string, std::string>> downs;  // version -> (name, sql)
  for (const EmbeddedFile& f : files) {
    auto parsed = ParseName(f.name);
    if (!parsed) {
      return std::unexpected(Error::InvalidRequest(
          "invalid_migration_name",
          fmt::format("migration file '{}' is not named <version>_<name>.sql (lower case, digits "
                      "and underscores)",
                      f.name)));
    }
    if (parsed->down) {
      downs[parsed->version] = {parsed->name, std::string(f.content)};
      continue;
    }
    if (by_version.contains(parsed->version)) {
      return std::unexpected(Error::InvalidRequest(
          "duplicate_migration_version",
          fmt::format("migration version {} appears twice ('{}' and '{}')", parsed->version,
                      by_version[parsed->version].filename, f.name)));
    }
    Migration m;
    m.version = parsed->version;
    m.name = parsed->name;
    m.filename = std::string(f.name);
    m.sql = std::string(f.content);
    m.checksum = Sha256Hex(m.sql);
    m.phase = ReadPhase(m.sql);
    by_version.emplace(m.version, std::move(m));
  }
  for (auto& [version, down] : downs) {
    auto it = by_version.find(version);
    if (it == by_version.end() || it->second.name != down.first) {
      return std::unexpected(Error::InvalidRequest(
          "orphan_undo_file",
          fmt::format("undo file {}_{}.down.sql has no migration", version, down.first)));
    }
    it->second.down_sql = std::move(down.second);
  }
  std::vector<Migration> out;
  for (auto& [version, m] : by_version) out.push_back(std::move(m));
  return out;
}

payments::Result<std::vector<Migration>> LoadEmbeddedMigrations() {
  return ParseMigrationFiles(EmbeddedMigrationFiles());
}

payments::Result<std::vector<Migration>> LoadMigrationDirectory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return std::unexpected(Error::InvalidRequest(
        "migration_dir_missing", fmt::format("migration directory '{}' does not exist", dir)));
  }
  std::vector<std::string> names;
  std::vector<std::string> contents;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".sql") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    names.push_back(entry.path().filename().string());
    contents.emplace_back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::vector<EmbeddedFile> files;
  for (size_t i = 0; i < names.size(); ++i) files.push_back({names[i], contents[i]});
  return ParseMigrationFiles(files);
}

int64_t BuiltInSchemaVersion() {
  static const int64_t version = [] {
    auto migrations = LoadEmbeddedMigrations();
    return migrations && !migrations->empty() ? migrations->back().version : 0;
  }();
  return version;
}

}  // namespace payments::migrate
