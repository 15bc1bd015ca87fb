// The event schemas on disk (schemas/events/<type>/v<N>.json) and the lock
// file beside them (schemas/events/schemas.lock) that records the SHA-256 of
// every published version, in `sha256sum` format:
//
//   3f2a…  payment.captured/v1.json
//
// A published version is immutable: CheckSchemas() fails when its bytes
// change or it disappears, when a version breaks the one before it
// (schema_compat.h), when versions have gaps, and when a version the service
// emits is not published. LockSchemas() publishes what is not locked yet.
// `payments events check-schemas` runs CheckSchemas in CI (make test).
//
// SchemaRegistry validates serialized events against the schema their
// `dataschema` names; tests use it on every event they produce.
//
// Reading files is the only I/O; the checks are pure. Values; a loaded
// SchemaRegistry is immutable and may be shared between threads.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "events/json_schema.h"

namespace payments::events {

inline constexpr std::string_view kSchemaLockFile = "schemas.lock";

struct SchemaFile {
  std::string type;  // "payment.captured"
  int version = 0;
  std::string path;  // relative to the schema directory: "payment.captured/v1.json"
  std::string content;
};

struct LockEntry {
  std::string sha256;
  std::string path;
};

// Every <type>/v<N>.json under dir, sorted by type and version. Fails on
// other files in a type directory, so a typo ("v2.jsn") is not ignored.
payments::Result<std::vector<SchemaFile>> ReadSchemaDirectory(const std::string& dir);
// The lock file of dir (empty when there is none yet).
payments::Result<std::vector<LockEntry>> ReadSchemaLock(const std::string& dir);
payments::Result<std::vector<LockEntry>> ParseSchemaLock(std::string_view text);
std::string FormatSchemaLock(const std::vector<LockEntry>& entries);

struct SchemaCheck {
  std::vector<std::string> problems;  // each fails the check
  // Versions the service emits that are not published: they fail the check
  // too, and LockSchemas() is what fixes them.
  std::vector<std::string> emitted_unpublished;
  std::vector<std::string> unpublished;  // paths not in the lock yet
  int types = 0;
  int versions = 0;
  bool ok() const { return problems.empty() && emitted_unpublished.empty(); }
};

// `emitted` lists the types the service emits, each at `emitted_version`:
// those versions must exist and be published.
SchemaCheck CheckSchemas(const std::vector<SchemaFile>& files, const std::vector<LockEntry>& lock,
                         std::span<const std::string_view> emitted, int emitted_version);

// The lock with every file not in it yet added (sorted by path); published
// entries are never changed here.
std::vector<LockEntry> LockSchemas(const std::vector<SchemaFile>& files,
                                   const std::vector<LockEntry>& lock);

class SchemaRegistry {
 public:
  static payments::Result<SchemaRegistry> Load(const std::string& dir);

  // What is wrong with a serialized event: unparsable JSON, a `dataschema`
  // naming no schema here, or the schema's violations ("/data/amount:
  // expected integer, got string"). Empty when the event is valid.
  std::vector<std::string> Validate(std::string_view payload) const;

 private:
  std::map<std::string, JsonSchema, std::less<>> by_id_;  // by SchemaPath(type, version)
};

}  // namespace payments::events
