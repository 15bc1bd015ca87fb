// `payments events …`: the event schemas' checks, run by CI, publishing new
// schema versions, and the outbox relay on its own (what `serve` runs
// inside), for operators who run it apart and for the crash drills.
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>

#include "cli/subcommands.h"
#include "events/cloud_event.h"
#include "events/event_types.h"
#include "events/outbox_relay.h"
#include "events/schema_registry.h"
#include "telemetry/log.h"

namespace payments::cli {
namespace {

struct CheckedSchemas {
  std::vector<events::SchemaFile> files;
  std::vector<events::LockEntry> lock;
  events::SchemaCheck check;
};

// Adds a subcommand that reads and checks the schema directory, then runs
// `run` (which returns the exit code). Unreadable input exits 2.
void AddSchemaCommand(CLI::App* events, const char* name, const char* description, int& exit_code,
                      std::function<int(const std::string&, CheckedSchemas&)> run) {
  auto dir = std::make_shared<std::string>("schemas/events");
  auto* sub = events->add_subcommand(name, description);
  sub->add_option("--dir", *dir, "The event schema directory")
      ->envname("PAYMENTS_SCHEMAS_DIR")
      ->capture_default_str();
  sub->callback([dir, run = std::move(run), &exit_code] {
    auto files = events::ReadSchemaDirectory(*dir);
    auto lock = files ? events::ReadSchemaLock(*dir) : std::vector<events::LockEntry>{};
    if (!files || !lock) {
      PrintError(!files ? files.error().message : lock.error().message);
      exit_code = 2;
      return;
    }
    CheckedSchemas schemas{std::move(*files), std::move(*lock), {}};
    schemas.check = events::CheckSchemas(schemas.files, schemas.lock, events::kEventTypes,
                                         events::kCurrentSchemaVersion);
    exit_code = run(*dir, schemas);
  });
}

int CheckSchemas(const std::string&, CheckedSchemas& schemas) {
  const events::SchemaCheck& check = schemas.check;
  for (const std::string& p : check.problems) PrintError(p);
  for (const std::string& p : check.emitted_unpublished) PrintError(p);
  if (!check.ok()) return 1;
  for (const std::string& p : check.unpublished) {
    std::printf("check-schemas: %s is not published yet (allowed until the service emits it)\n",
                p.c_str());
  }
  std::printf(
      "check-schemas: %d types, %d versions: published versions unchanged, every version "
      "compatible with the one before\n",
      check.types, check.versions);
  return 0;
}

int LockSchemas(const std::string& dir, CheckedSchemas& schemas) {
  // Every problem but "emitted and unpublished" must be fixed first, or
  // publishing would freeze it forever.
  for (const std::string& p : schemas.check.problems) PrintError(p);
  if (!schemas.check.problems.empty()) return 1;
  const std::string path = dir + "/" + std::string(events::kSchemaLockFile);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << events::FormatSchemaLock(events::LockSchemas(schemas.files, schemas.lock));
  out.close();
  if (!out) {
    PrintError(fmt::format("cannot write {}", path));
    return 1;
  }
  for (const std::string& p : schemas.check.unpublished) {
    std::printf("lock-schemas: published %s\n", p.c_str());
  }
  if (schemas.check.unpublished.empty())
    std::puts("lock-schemas: every version is published already");
  return 0;
}

void AddRelay(CLI::App* events, int& exit_code) {
  struct Args {
    std::string database_url;
    std::string brokers;
    std::string topic = "payments.events";
    int batch_size = 500;
    int retention_days = 30;
  };
  auto args = std::make_shared<Args>();
  auto* sub = events->add_subcommand(
      "relay", "Publish the event outbox to Kafka until SIGTERM or SIGINT (serve runs it inside)");
  AddDatabaseUrlOption(sub, args->database_url)->required();
  sub->add_option("--kafka-brokers", args->brokers, "Kafka bootstrap servers (host:port,...)")
      ->envname("PAYMENTS_KAFKA_BROKERS")
      ->required();
  sub->add_option("--kafka-topic", args->topic, "The topic events are published to")
      ->envname("PAYMENTS_KAFKA_TOPIC")
      ->capture_default_str();
  sub->add_option("--batch-size", args->batch_size, "Events per batch")
      ->envname("PAYMENTS_EVENTS_BATCH_SIZE")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  sub->add_option("--retention-days", args->retention_days,
                  "Days published events are kept (and listed by the API)")
      ->envname("PAYMENTS_EVENTS_RETENTION_DAYS")
      ->check(CLI::Range(1, 3650))
      ->capture_default_str();
  sub->callback([args, &exit_code] {
    events::RelayOptions options;
    options.database.conninfo = args->database_url;
    options.brokers = args->brokers;
    options.topic = args->topic;
    options.batch_size = args->batch_size;
    options.retention = std::chrono::hours(24 * args->retention_days);
    options.kafka_settings = events::KafkaSettingsFromEnvironment();
    auto relay = events::OutboxRelay::Create(std::move(options));
    if (!relay) {
      PrintError(relay.error().message);
      exit_code = 2;
      return;
    }
    // Block the signals before the relay's threads start, so they inherit
    // the mask and only sigwait below sees them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    (*relay)->Start();
    log::Info("events relay: started", {{"topic", args->topic}});
    int signal = 0;
    sigwait(&signals, &signal);
    log::Info("events relay: stopping", {{"signal", strsignal(signal)}});
    (*relay)->Stop();
    const events::RelayMetrics m = (*relay)->Metrics();
    log::Info("events relay: stopped",
              {{"published", m.published_total}, {"failed", m.failed_total}});
    log::Flush();
    exit_code = 0;
  });
}

}  // namespace

void AddEventsCommand(CLI::App& app, int& exit_code) {
  auto* events = app.add_subcommand("events", "Event schemas and the outbox relay");
  events->require_subcommand(1);
  AddSchemaCommand(
      events, "check-schemas",
      "Fail when a published event schema changed or a new version is not backward compatible",
      exit_code, CheckSchemas);
  AddSchemaCommand(events, "lock-schemas",
                   "Publish the schema versions that are not in the lock file yet", exit_code,
                   LockSchemas);
  AddRelay(events, exit_code);
}

}  // namespace payments::cli
