#include "events/schema_registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "core/crypto.h"
#include "events/cloud_event.h"
#include "events/schema_compat.h"

namespace payments::events {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

payments::Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(payments::Error::InvalidRequest(
        "file_unreadable", fmt::format("cannot read {}", path.string())));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A schema's own `type` and `dataschema` properties must pin the values its
// path implies; a v2 copied from v1 and not edited would otherwise pass.
void CheckPinned(const SchemaNode& root, const SchemaFile& file,
                 std::vector<std::string>& problems) {
  const std::pair<const char*, std::string> pins[] = {
      {"type", file.type}, {"dataschema", SchemaPath(file.type, file.version)}};
  for (const auto& [property, value] : pins) {
    auto it = root.properties.find(property);
    if (it == root.properties.end() || !it->second->enum_values ||
        *it->second->enum_values != std::vector<json>{value}) {
      problems.push_back(fmt::format("{}: the property \"{}\" must be {{\"enum\": [\"{}\"]}}",
                                     file.path, property, value));
    }
  }
}

}  // namespace

payments::Result<std::vector<SchemaFile>> ReadSchemaDirectory(const std::string& dir) {
  static const std::regex kTypeName("^[a-z][a-z_]*(\\.[a-z][a-z_]*)+$");
  static const std::regex kVersionFile("^v([1-9][0-9]{0,5})\\.json$");
  std::vector<SchemaFile> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return std::unexpected(payments::Error::InvalidRequest(
        "schema_directory_missing", fmt::format("{} is not a directory", dir), "dir"));
  }
  try {
    for (const fs::directory_entry& type_dir : fs::directory_iterator(dir)) {
      if (!type_dir.is_directory()) continue;  // the lock file, a README
      const std::string type = type_dir.path().filename().string();
      if (!std::regex_match(type, kTypeName)) {
        return std::unexpected(payments::Error::InvalidRequest(
            "schema_file_misnamed",
            fmt::format("{}: not an event type name (like payment.captured)",
                        type_dir.path().string())));
      }
      for (const fs::directory_entry& entry : fs::directory_iterator(type_dir.path())) {
        const std::string name = entry.path().filename().string();
        std::smatch m;
        if (!entry.is_regular_file() || !std::regex_match(name, m, kVersionFile)) {
          return std::unexpected(payments::Error::InvalidRequest(
              "schema_file_misnamed",
              fmt::format("{}: schema files are named v<N>.json", entry.path().string())));
        }
        auto content = ReadFile(entry.path());
        if (!content) return std::unexpected(content.error());
        files.push_back(SchemaFile{.type = type,
                                   .version = std::stoi(m[1].str()),
                                   .path = type + "/" + name,
                                   .content = std::move(*content)});
      }
    }
  } catch (const fs::filesystem_error& e) {
    return std::unexpected(
        payments::Error::InvalidRequest("schema_directory_unreadable", e.what()));
  }
  std::sort(files.begin(), files.end(), [](const SchemaFile& a, const SchemaFile& b) {
    return std::tie(a.type, a.version) < std::tie(b.type, b.version);
  });
  return files;
}

payments::Result<std::vector<LockEntry>> ParseSchemaLock(std::string_view text) {
  static const std::regex kLine("^([0-9a-f]{64}) [ *](.+)$");
  std::vector<LockEntry> entries;
  std::istringstream in{std::string(text)};
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    std::smatch m;
    if (!std::regex_match(line, m, kLine)) {
      return std::unexpected(payments::Error::InvalidRequest(
          "schema_lock_malformed",
          fmt::format("{} line {}: expected \"<sha256>  <type>/v<N>.json\"", kSchemaLockFile,
                      number)));
    }
    entries.push_back({m[1].str(), m[2].str()});
  }
  return entries;
}

payments::Result<std::vector<LockEntry>> ReadSchemaLock(const std::string& dir) {
  const fs::path path = fs::path(dir) / kSchemaLockFile;
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::vector<LockEntry>{};
  auto text = ReadFile(path);
  if (!text) return std::unexpected(text.error());
  return ParseSchemaLock(*text);
}

std::string FormatSchemaLock(const std::vector<LockEntry>& entries) {
  std::string out;
  for (const LockEntry& e : entries) out += fmt::format("{}  {}\n", e.sha256, e.path);
  return out;
}

SchemaCheck CheckSchemas(const std::vector<SchemaFile>& files, const std::vector<LockEntry>& lock,
                         std::span<const std::string_view> emitted, int emitted_version) {
  SchemaCheck check;
  check.versions = static_cast<int>(files.size());

  // Parse each file; keep the parsed ones by (type, version) for comparison.
  std::map<std::pair<std::string, int>, JsonSchema> parsed;
  std::set<std::string> types;
  for (const SchemaFile& f : files) {
    types.insert(f.type);
    json doc;
    try {
      doc = json::parse(f.content);
    } catch (const json::exception& e) {  // parse_error; out_of_range for 1e999
      check.problems.push_back(fmt::format("{}: not JSON: {}", f.path, e.what()));
      continue;
    }
    auto schema = JsonSchema::Parse(doc);
    if (!schema) {
      check.problems.push_back(fmt::format("{}: {}", f.path, schema.error().message));
      continue;
    }
    const std::string id = SchemaPath(f.type, f.version);
    if (!doc.contains("$id") || doc["$id"] != id) {
      check.problems.push_back(fmt::format("{}: \"$id\" must be \"{}\"", f.path, id));
    }
    CheckPinned(schema->root(), f, check.problems);
    parsed.emplace(std::make_pair(f.type, f.version), std::move(*schema));
  }
  check.types = static_cast<int>(types.size());

  // Versions count up from 1 without gaps, and each keeps its predecessor's
  // promises.
  for (size_t i = 0; i < files.size(); ++i) {
    const SchemaFile& f = files[i];
    const bool first_of_type = i == 0 || files[i - 1].type != f.type;
    const int expected = first_of_type ? 1 : files[i - 1].version + 1;
    if (f.version != expected) {
      check.problems.push_back(
          fmt::format("{}: v{} is missing (versions count up from v1)", f.path, expected));
      continue;
    }
    if (first_of_type) continue;
    auto prev = parsed.find({f.type, f.version - 1});
    auto next = parsed.find({f.type, f.version});
    if (prev == parsed.end() || next == parsed.end()) continue;
    for (const std::string& change :
         FindBreakingChanges(prev->second.root(), next->second.root())) {
      check.problems.push_back(fmt::format("{} breaks v{}: {}", f.path, f.version - 1, change));
    }
  }

  // Published versions are immutable.
  std::map<std::string, std::string> on_disk;
  for (const SchemaFile& f : files) on_disk[f.path] = Sha256Hex(f.content);
  std::set<std::string> locked;
  for (const LockEntry& e : lock) {
    locked.insert(e.path);
    auto it = on_disk.find(e.path);
    if (it == on_disk.end()) {
      check.problems.push_back(fmt::format(
          "{}: published schema was deleted (published versions are never removed)", e.path));
    } else if (it->second != e.sha256) {
      check.problems.push_back(
          fmt::format("{}: published schema changed (sha256 {}, locked {}); published versions are "
                      "immutable: add the change as a new version",
                      e.path, it->second.substr(0, 12), e.sha256.substr(0, 12)));
    }
  }
  for (const SchemaFile& f : files) {
    if (!locked.contains(f.path)) check.unpublished.push_back(f.path);
  }

  // What the service emits must be described and published.
  for (std::string_view type : emitted) {
    const std::string path = fmt::format("{}/v{}.json", type, emitted_version);
    if (!on_disk.contains(path)) {
      check.problems.push_back(
          fmt::format("{}: missing; the service emits {} version {}", path, type, emitted_version));
    } else if (!locked.contains(path)) {
      check.emitted_unpublished.push_back(fmt::format(
          "{}: the service emits this version but it is not published (run `payments events "
          "lock-schemas`)",
          path));
    }
  }
  return check;
}

std::vector<LockEntry> LockSchemas(const std::vector<SchemaFile>& files,
                                   const std::vector<LockEntry>& lock) {
  std::vector<LockEntry> out = lock;
  std::set<std::string> locked;
  for (const LockEntry& e : lock) locked.insert(e.path);
  for (const SchemaFile& f : files) {
    if (!locked.contains(f.path)) out.push_back({Sha256Hex(f.content), f.path});
  }
  std::sort(out.begin(), out.end(),
            [](const LockEntry& a, const LockEntry& b) { return a.path < b.path; });
  return out;
}

payments::Result<SchemaRegistry> SchemaRegistry::Load(const std::string& dir) {
  auto files = ReadSchemaDirectory(dir);
  if (!files) return std::unexpected(files.error());
  SchemaRegistry registry;
  for (const SchemaFile& f : *files) {
    json doc;
    try {
      doc = json::parse(f.content);
    } catch (const json::exception& e) {  // parse_error; out_of_range for 1e999
      return std::unexpected(payments::Error::InvalidRequest(
          "schema_invalid", fmt::format("{}: not JSON: {}", f.path, e.what())));
    }
    auto schema = JsonSchema::Parse(doc);
    if (!schema) {
      return std::unexpected(payments::Error::InvalidRequest(
          "schema_invalid", fmt::format("{}: {}", f.path, schema.error().message)));
    }
    registry.by_id_.emplace(SchemaPath(f.type, f.version), std::move(*schema));
  }
  return registry;
}

std::vector<std::string> SchemaRegistry::Validate(std::string_view payload) const {
  json event;
  try {
    event = json::parse(payload);
  } catch (const json::exception& e) {  // parse_error; out_of_range for 1e999
    return {fmt::format("not JSON: {}", e.what())};
  }
  if (!event.is_object() || !event.contains("dataschema") || !event["dataschema"].is_string()) {
    return {"the event has no \"dataschema\""};
  }
  const std::string& id = event["dataschema"].get_ref<const std::string&>();
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return {fmt::format("no schema {}", id)};
  std::vector<std::string> out;
  for (const SchemaViolation& v : it->second.Validate(event)) {
    out.push_back(fmt::format("{}: {}", v.path.empty() ? "/" : v.path, v.message));
  }
  return out;
}

}  // namespace payments::events
