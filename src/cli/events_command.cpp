// `payments events …`: the event schemas' checks, run by CI, and publishing
// new schema versions.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>

#include "cli/subcommands.h"
#include "events/cloud_event.h"
#include "events/event_types.h"
#include "events/schema_registry.h"

namespace payments::cli {
namespace {

CLI::Option* AddSchemaDirOption(CLI::App* sub, std::string& dir) {
  return sub->add_option("--dir", dir, "The event schema directory")
      ->envname("PAYMENTS_SCHEMAS_DIR")
      ->capture_default_str();
}

// Reads the schemas and the lock and checks them; prints every problem.
// Returns the exit code, and the files and lock through the out parameters.
int LoadAndCheck(const std::string& dir, std::vector<events::SchemaFile>& files,
                 std::vector<events::LockEntry>& lock, events::SchemaCheck& check) {
  auto read = events::ReadSchemaDirectory(dir);
  if (!read) {
    PrintError(read.error().message);
    return 2;
  }
  auto locked = events::ReadSchemaLock(dir);
  if (!locked) {
    PrintError(locked.error().message);
    return 2;
  }
  files = std::move(*read);
  lock = std::move(*locked);
  check = events::CheckSchemas(files, lock, events::kEventTypes, events::kCurrentSchemaVersion);
  return 0;
}

void AddCheckSchemas(CLI::App* events, int& exit_code) {
  auto dir = std::make_shared<std::string>("schemas/events");
  auto* sub = events->add_subcommand(
      "check-schemas",
      "Fail when a published event schema changed or a new version is not backward compatible");
  AddSchemaDirOption(sub, *dir);
  sub->callback([dir, &exit_code] {
    std::vector<events::SchemaFile> files;
    std::vector<events::LockEntry> lock;
    events::SchemaCheck check;
    if (int code = LoadAndCheck(*dir, files, lock, check); code != 0) {
      exit_code = code;
      return;
    }
    for (const std::string& p : check.problems) PrintError(p);
    if (!check.ok()) {
      exit_code = 1;
      return;
    }
    for (const std::string& p : check.unpublished) {
      std::printf("check-schemas: %s is not published yet (allowed until the service emits it)\n",
                  p.c_str());
    }
    std::printf(
        "check-schemas: %d types, %d versions: published versions unchanged, every "
        "version compatible with the one before\n",
        check.types, check.versions);
    exit_code = 0;
  });
}

void AddLockSchemas(CLI::App* events, int& exit_code) {
  auto dir = std::make_shared<std::string>("schemas/events");
  auto* sub = events->add_subcommand(
      "lock-schemas", "Publish the schema versions that are not in the lock file yet");
  AddSchemaDirOption(sub, *dir);
  sub->callback([dir, &exit_code] {
    std::vector<events::SchemaFile> files;
    std::vector<events::LockEntry> lock;
    events::SchemaCheck check;
    if (int code = LoadAndCheck(*dir, files, lock, check); code != 0) {
      exit_code = code;
      return;
    }
    // Publishing is what fixes "emitted but not published"; every other
    // problem must be fixed first, or it would be frozen forever.
    bool blocked = false;
    for (const std::string& p : check.problems) {
      if (p.find("is not published") != std::string::npos) continue;
      PrintError(p);
      blocked = true;
    }
    if (blocked) {
      exit_code = 1;
      return;
    }
    const std::string path = *dir + "/" + std::string(events::kSchemaLockFile);
    const std::string text = events::FormatSchemaLock(events::LockSchemas(files, lock));
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      PrintError(fmt::format("cannot write {}", path));
      exit_code = 1;
      return;
    }
    for (const std::string& p : check.unpublished)
      std::printf("lock-schemas: published %s\n", p.c_str());
    if (check.unpublished.empty()) std::puts("lock-schemas: every version is published already");
    exit_code = 0;
  });
}

}  // namespace

void AddEventsCommand(CLI::App& app, int& exit_code) {
  auto* events = app.add_subcommand("events", "Event schemas and the outbox relay");
  events->require_subcommand(1);
  AddCheckSchemas(events, exit_code);
  AddLockSchemas(events, exit_code);
}

}  // namespace payments::cli
