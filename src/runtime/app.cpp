#include "runtime/app.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include "api/admin_flags_handlers.h"
#include "api/events_handlers.h"
#include "api/payment_handlers.h"
#include "api/public_api.h"
#include "core/build_info.h"
#include "core/crypto.h"
#include "core/host_port.h"
#include "db/batch.h"
#include "db/pool.h"
#include "db/transaction.h"
#include "events/kafka_settings.h"
#include "events/outbox_relay.h"
#include "events/relay_metrics.h"
#include "fibers/fiber.h"
#include "flags/flag_source.h"
#include "http/server.h"
#include "migrate/migrator.h"
#include "runtime/admin_api.h"
#include "runtime/embedded_postgres.h"
#include "runtime/fault_routes.h"
#include "runtime/flag_refresher.h"
#include "runtime/health.h"
#include "runtime/log.h"
#include "runtime/metrics.h"
#include "runtime/periodic_worker.h"
#include "runtime/signals.h"
#include "service/merchant_service.h"
#include "service/payment_service.h"
#include "store/idempotency_store.h"
#include "store/instance_store.h"
#include "store/merchant_store.h"

namespace payments::runtime {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kEmbeddedDatabase = "payments";

struct DemoMerchant {
  std::string id;
  std::string key;
};

// The embedded default: a private cluster under data_dir, migrated on start,
// with a demo merchant whose key is kept in data_dir/demo-merchant.key.
struct Embedded {
  std::unique_ptr<EmbeddedPostgres> pg;
  std::string conninfo;
  DemoMerchant demo;
};

payments::Result<DemoMerchant> EnsureDemoMerchant(db::Connection& conn, const std::string& dir) {
  const fs::path file = fs::path(dir) / "demo-merchant.key";
  {
    std::ifstream in(file);
    DemoMerchant demo;
    if (in >> demo.id >> demo.key) {
      auto owner = store::FindMerchantByKeyHash(conn, Sha256Hex(demo.key));
      if (!owner) return std::unexpected(owner.error());
      if (*owner && **owner == demo.id) return demo;
    }
  }
  auto created = service::CreateMerchant(conn, "Demo merchant");
  if (!created) return std::unexpected(created.error());
  {
    std::ofstream out(file, std::ios::trunc);
    out << created->id << " " << created->secret_key << "\n";
  }
  chmod(file.c_str(), 0600);
  return DemoMerchant{created->id, created->secret_key};
}

Embedded MakeEmbedded(const ServeConfig& config) {
  Embedded e;
  std::error_code ec;
  fs::create_directories(config.data_dir, ec);
  e.pg = std::make_unique<EmbeddedPostgres>(
      EmbeddedPostgresOptions{.data_dir = (fs::path(config.data_dir) / "pgdata").string(),
                              .socket_dir = (fs::path(config.data_dir) / "run").string(),
                              .port = 5432,
                              .settings = {}});
  e.conninfo = e.pg->ConnInfo(kEmbeddedDatabase);
  return e;
}

// Starts the embedded cluster, migrates it and makes sure of the demo merchant.
payments::Status StartEmbedded(const ServeConfig& config, Embedded& e) {
  log::Info("starting the embedded PostgreSQL", {{"data_dir", e.pg->options().data_dir}});
  if (auto s = e.pg->Start(); !s) return s;
  if (auto s = e.pg->EnsureDatabase(kEmbeddedDatabase); !s) return s;
  auto conn = db::Connection::Open({.conninfo = e.conninfo, .application_name = "payments serve"});
  if (!conn) return std::unexpected(conn.error());
  // The embedded default migrates itself; an external database never does.
  auto migrations = migrate::LoadEmbeddedMigrations();
  if (!migrations) return std::unexpected(migrations.error());
  migrate::MigratorOptions migrator_options;
  migrator_options.lock_wait = std::chrono::seconds(30);
  migrate::Migrator migrator(**conn, std::move(*migrations), migrator_options);
  auto report = migrator.Up({});
  if (!report) return std::unexpected(report.error());
  for (int64_t v : report->applied) log::Info("applied migration", {{"version", v}});
  auto demo = EnsureDemoMerchant(**conn, config.data_dir);
  if (!demo) return std::unexpected(demo.error());
  e.demo = *demo;
  return {};
}

void PrintBanner(const std::string& public_address, const DemoMerchant& demo,
                 const std::string& data_dir) {
  const std::string body =
      R"({"amount":1099,"currency":"usd","payment_method":{"card":{"number":"4242424242424242",)"
      R"("exp_month":12,"exp_year":2030,"cvc":"123"}}})";
  std::fprintf(stderr,
               "\npayments is ready on http://%s (embedded PostgreSQL in %s)\n"
               "demo merchant %s, secret key %s\n\n"
               "Take a payment:\n"
               "  curl -s http://%s/v1/payments \\\n"
               "    -H 'Authorization: Bearer %s' \\\n"
               "    -H 'Content-Type: application/json' \\\n"
               "    -H \"Idempotency-Key: demo-$(date +%%s%%N)\" \\\n"
               "    -d '%s'\n\n",
               public_address.c_str(), data_dir.c_str(), demo.id.c_str(), demo.key.c_str(),
               public_address.c_str(), demo.key.c_str(), body.c_str());
}

std::string FormatAddress(const std::string& host, uint16_t port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

// Schema compatibility, reported to readiness; also records the fingerprint
// key once the schema is there.
payments::Status CheckSchemaInto(db::Pool& pool, const std::vector<migrate::Migration>& built_in,
                                 Health& health) {
  auto conn = pool.Acquire();
  if (!conn) {
    health.Set("schema", false, "database unavailable");
    return std::unexpected(conn.error());
  }
  auto check = migrate::CheckSchema(**conn, built_in);
  if (!check) {
    health.Set("schema", false, check.error().message);
    return std::unexpected(check.error());
  }
  health.SetSchemaVersion(check->applied_version);
  health.Set("schema", check->compatible, check->reason);
  return {};
}

void AccessLog(const std::string& listener, Metrics& metrics, const http::Request& req,
               const http::Response& res, std::chrono::nanoseconds elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const std::string route = res.route.empty() ? "unmatched" : res.route;
  metrics.ObserveRequest(listener, req.method, route, res.status, seconds);
  if (listener == "admin" && res.status < 400) return;  // probes every second are noise
  nlohmann::ordered_json fields = {{"listener", listener},
                                   {"request_id", req.request_id},
                                   {"method", req.method},
                                   {"route", route},
                                   {"path", req.path},
                                   {"status", res.status},
                                   {"duration_ms", std::round(seconds * 1e6) / 1000.0}};
  if (!res.merchant_id.empty()) fields["merchant_id"] = res.merchant_id;
  if (!res.error_detail.empty()) fields["error"] = res.error_detail;
  if (res.Header("Connection") == "close") fields["connection"] = "close";
  log::Buffered(res.status >= 500 ? log::Level::kWarn : log::Level::kInfo, "request", fields);
}

[[noreturn]] void ExitNow(int code, std::string_view reason, const http::Server* server,
                          EmbeddedPostgres* embedded) {
  nlohmann::ordered_json fields = {{"reason", reason}};
  if (server != nullptr) fields["cut_off"] = server->InFlightRequests();
  log::Error("shutdown cut short", fields);
  if (embedded != nullptr) (void)embedded->Stop();
  log::Flush();
  std::fflush(stderr);
  std::_Exit(code);
}

}  // namespace

int RunServe(const ServeConfig& config) {
  // Before any other thread exists, so that every thread inherits the mask.
  SignalWatcher signals;
  const auto started = Clock::now();
  log::SetLevel(config.log_level);
  log::StartPeriodicFlush(std::chrono::seconds(1));  // the access log's lines

  auto public_address = ParseHostPort(config.listen);
  auto admin_address = ParseHostPort(config.admin_listen);
  if (!public_address || !admin_address) {
    log::Error("bad listen address",
               {{"error", (!public_address ? public_address : admin_address).error().message}});
    return 2;
  }
  auto built_in = migrate::LoadEmbeddedMigrations();
  if (!built_in) {
    log::Error("the embedded migrations are unreadable", {{"error", built_in.error().message}});
    return 1;
  }

  Health health;
  Metrics metrics;
  health.Set("lifecycle", false, "starting");
  health.Set("database", false, "not reached yet");
  health.Set("schema", false, "not checked yet");

  // The database: the embedded default (started below, once the admin
  // listener answers) or PAYMENTS_DATABASE_URL. Nothing connects yet.
  std::optional<Embedded> embedded;
  std::string conninfo = config.database_url;
  if (conninfo.empty()) {
    embedded = MakeEmbedded(config);
    conninfo = embedded->conninfo;
  }
  EmbeddedPostgres* embedded_pg = embedded ? embedded->pg.get() : nullptr;
  db::Pool pool({.connect = {.conninfo = conninfo,
                             .application_name = "payments serve",
                             .connect_timeout = std::chrono::seconds(2),
                             .statement_timeout = config.statement_timeout,
                             .lock_timeout = milliseconds(0),
                             .idle_in_transaction_timeout = milliseconds(60'000)},
                 .size = config.db_pool_size,
                 .acquire_timeout = milliseconds(1000),
                 .backoff_initial = milliseconds(50),
                 .backoff_max = milliseconds(2000)});
  log::Info("database",
            {{"url", db::RedactConninfo(conninfo)}, {"embedded", embedded.has_value()}});
  // The outbox relay, on a connection of its own; its Kafka settings are
  // checked now, so a typo fails the start instead of the first publish.
  events::RelayOptions relay_options;
  relay_options.database = {.conninfo = conninfo,
                            .application_name = "payments relay",
                            .connect_timeout = std::chrono::seconds(2),
                            .statement_timeout = config.statement_timeout};
  relay_options.brokers = config.kafka_brokers;
  relay_options.topic = config.kafka_topic;
  relay_options.batch_size = config.events_batch_size;
  relay_options.retention = std::chrono::hours(24 * config.events_retention_days);
  relay_options.kafka_settings = events::KafkaSettingsFromEnvironment();
  auto created_relay = events::OutboxRelay::Create(std::move(relay_options));
  if (!created_relay) {
    std::fprintf(stderr, "payments: error: %s\n", created_relay.error().message.c_str());
    return 2;
  }
  std::unique_ptr<events::OutboxRelay> relay = std::move(*created_relay);
  metrics.AddCollector(
      [&relay](MetricsWriter& w) { events::WriteRelayMetrics(relay->Metrics(), w); });
  // Feature flags, on a connection of their own.
  FlagRefresher flags({.connect = {.conninfo = conninfo,
                                   .application_name = "payments flags",
                                   .connect_timeout = std::chrono::seconds(2),
                                   .statement_timeout = milliseconds(2000)},
                       .poll_interval = config.flags_poll_interval});

  // The admin listener comes up first: probes answer (503) while we start.
  std::unique_ptr<http::Server> public_server;
  std::atomic<http::Server*> public_started{nullptr};  // for the admin thread
  const BuildInfo& build = GetBuildInfo();
  auto version_info = [&] {
    return nlohmann::ordered_json{{"version", build.version},
                                  {"commit", build.commit},
                                  {"build_time", build.build_time},
                                  {"schema_version_built_in", migrate::BuiltInSchemaVersion()},
                                  {"schema_version_applied", health.schema_version()}};
  };
  AdminApi admin(health, metrics, version_info, [&]() -> std::string {
    const http::Server* server = public_started.load();
    if (server == nullptr) return "";
    const auto stalled = Clock::now() - server->last_tick();
    if (stalled > config.liveness_stall) {
      return fmt::format("the public event loop has not run for {} ms",
                         std::chrono::duration_cast<milliseconds>(stalled).count());
    }
    return "";
  });
  if (config.fault_injection) {
    log::Warn("fault injection is enabled", {});
    RegisterFaultRoutes(
        admin.router(), config.admin_token, [&] { return public_started.load(); },
        config.io_threads);
  }
  api::RegisterAdminFlagRoutes(admin.router(), pool, {.token = config.admin_token});
  // Probes answer on the admin I/O thread from memory; the admin API touches
  // the database, so it runs on threads of its own and can never stall probes.
  boost::asio::thread_pool admin_pool(2);
  http::Server admin_server(
      {.name = "admin",
       .idle_timeout = config.http_idle_timeout,
       .read_timeout = config.http_read_timeout,
       .io_threads = 1},
      [&admin, &admin_pool](http::Request req, http::Done done) {
        if (!req.path.starts_with("/admin/")) {
          done(admin.Handle(req));
          return;
        }
        boost::asio::post(admin_pool,
                          [&admin, req = std::move(req), done = std::move(done)]() mutable {
                            done(admin.Handle(req));
                          });
      },
      [&metrics](const http::Request& req, const http::Response& res, std::chrono::nanoseconds t) {
        AccessLog("admin", metrics, req, res, t);
      });
  auto admin_port = admin_server.Listen(admin_address->host, admin_address->port);
  if (!admin_port) {
    log::Error("cannot open the admin listener", {{"error", admin_port.error().message}});
    return 1;
  }
  admin_server.Start();
  const std::string admin_bound = FormatAddress(admin_address->host, *admin_port);
  log::Info("admin listening", {{"admin", admin_bound}});

  if (embedded) {
    if (auto started = StartEmbedded(config, *embedded); !started) {
      log::Error("the embedded database did not start",
                 {{"error", started.error().message}, {"detail", started.error().detail}});
      admin_server.Stop();
      return 1;
    }
  }
  flags.Start();
  ReportFlags(flags, health, metrics);
  relay->Start();
  log::Info("outbox relay",
            {{"publishing", !config.kafka_brokers.empty()}, {"topic", config.kafka_topic}});

  // Wait for the database and a compatible schema; a signal meanwhile ends
  // the process quietly (nothing is in flight yet).
  std::string fingerprint_key = config.fingerprint_key;
  while (true) {
    if (signals.count() > 0) {
      log::Info("stopped before becoming ready", {{"signal", signals.last()}});
      relay->Stop();
      flags.Stop();
      admin_server.Stop();
      if (embedded_pg != nullptr) (void)embedded_pg->Stop();
      return 0;
    }
    auto probe = pool.Probe();
    health.Set("database", probe.has_value(), probe ? "" : probe.error().detail);
    if (probe && CheckSchemaInto(pool, *built_in, health)) {
      bool schema_ok = false;
      for (const auto& c : health.Checks()) {
        if (c.name == "schema") schema_ok = c.ok;
      }
      if (schema_ok && fingerprint_key.empty()) {
        auto key = db::InTransaction(pool, [](db::Connection& conn) {
          return store::GetOrCreateSecret(conn, "card_fingerprint_key", RandomBase62(43));
        });
        if (key) fingerprint_key = *key;
      }
      if (schema_ok && !fingerprint_key.empty()) break;
    }
    signals.WaitFor(1, milliseconds(250));
  }

  // Register for the expand/contract interlock: a contract migration refuses
  // to run while this binary (built without it) is alive.
  const store::Instance self = store::DescribeThisInstance();
  if (auto registered =
          db::Read(pool, [&](db::Connection& c) { return store::RegisterInstance(c, self); });
      !registered) {
    log::Warn("could not register the instance yet", {{"error", registered.error().detail}});
  }
  log::Info("instance registered",
            {{"instance", self.id}, {"schema_version_built_in", self.schema_version}});

  processors::SandboxProcessor sandbox(config.sandbox);
  service::PaymentService payments(pool, sandbox,
                                   {.idempotency_lock = config.idempotency_lock,
                                    .auth_cache_ttl = std::chrono::seconds(10),
                                    .group_commit = config.db_group_commit,
                                    .fingerprint_key = fingerprint_key});
  payments.SetProcessorGate([&flags](std::string_view processor, std::string_view merchant_id) {
    return flags::CheckProcessorEnabled(flags, processor, merchant_id);
  });
  api::PublicApi public_api(
      [&payments](const std::string& key) { return payments.Authenticate(key); }, version_info);
  api::RegisterPaymentRoutes(public_api, payments);
  api::RegisterEventRoutes(public_api, pool);

  // Background workers.
  std::vector<std::unique_ptr<PeriodicWorker>> workers;
  int64_t health_runs = 0;
  workers.push_back(std::make_unique<PeriodicWorker>(
      "database-health", milliseconds(500), [&]() -> payments::Status {
        auto probe = pool.Probe();
        health.Set("database", probe.has_value(),
                   probe ? "" : probe.error().message + ": " + probe.error().detail);
        if (!probe) return probe;
        // The schema can change under us (a contract migration); look again
        // every two seconds.
        if (++health_runs % 4 == 0) return CheckSchemaInto(pool, *built_in, health);
        return {};
      }));
  workers.push_back(std::make_unique<PeriodicWorker>(
      "instance-heartbeat",
      std::chrono::duration_cast<milliseconds>(store::kInstanceHeartbeatInterval),
      [&]() -> payments::Status {
        return db::Read(pool, [&](db::Connection& c) { return store::HeartbeatInstance(c, self); });
      }));
  workers.push_back(std::make_unique<PeriodicWorker>(
      "idempotency-purge", milliseconds(10 * 60 * 1000), [&]() -> payments::Status {
        // Records older than 24 hours, in short batches.
        for (int i = 0; i < 100; ++i) {
          auto purged = db::InTransaction(pool, [](db::Connection& conn) {
            return store::PurgeIdempotencyKeys(conn, std::chrono::hours(24), 1000);
          });
          if (!purged) return std::unexpected(purged.error());
          if (*purged < 1000) break;
        }
        return {};
      }));
  for (auto& w : workers) w->Start();
  health.AddProbe("workers", [&workers, &relay]() {
    for (const auto& w : workers) {
      if (!w->Alive()) return Health::Check{"workers", false, w->name() + " is not running"};
    }
    // The relay's thread, not Kafka: a broker outage must not fail readiness.
    if (!relay->Running())
      return Health::Check{"workers", false, "the outbox relay is not running"};
    return Health::Check{"workers", true, ""};
  });

  // Metrics read at scrape time.
  metrics.AddCollector([&](MetricsWriter& w) {
    const db::PoolStats s = pool.Stats();
    w.Family("payments_db_pool_connections", "gauge", "Database connections by state.");
    w.Sample("payments_db_pool_connections", {{"state", "open"}}, s.open);
    w.Sample("payments_db_pool_connections", {{"state", "busy"}}, s.busy);
    w.Sample("payments_db_pool_connections", {{"state", "max"}}, s.size);
    w.Family("payments_db_pool_waits_total", "counter",
             "Acquisitions that waited for a connection.");
    w.Sample("payments_db_pool_waits_total", {}, static_cast<double>(s.waits));
    w.Family("payments_db_pool_timeouts_total", "counter", "Acquisitions that gave up waiting.");
    w.Sample("payments_db_pool_timeouts_total", {}, static_cast<double>(s.timeouts));
    w.Family("payments_db_reconnects_total", "counter",
             "Connections opened after the database was lost.");
    w.Sample("payments_db_reconnects_total", {}, static_cast<double>(s.reconnects));
    const std::pair<const char*, db::GroupCommitStats> groups[] = {
        {"claim", payments.ClaimGroupStats()}, {"payment", payments.WriteGroupStats()}};
    auto per_kind = [&](const char* name, const char* help, int64_t db::GroupCommitStats::*field) {
      w.Family(name, "counter", help);
      for (const auto& [kind, g] : groups) {
        w.Sample(name, {{"kind", kind}}, static_cast<double>(g.*field));
      }
    };
    per_kind("payments_db_group_commit_units_total",
             "Transactions run through group commit: idempotency claims and created "
             "payments' effects.",
             &db::GroupCommitStats::units);
    per_kind("payments_db_group_commit_batches_total",
             "Shared database transactions they went in; units / batches is the batch size.",
             &db::GroupCommitStats::batches);
    per_kind("payments_db_group_commit_statements_total",
             "Statements in shared transactions, BEGIN and COMMIT not counted; fewer than "
             "the requests' own when the same statements of several went as one.",
             &db::GroupCommitStats::statements);
    per_kind("payments_db_group_commit_fallbacks_total",
             "Shared transactions that failed and ran again unit by unit.",
             &db::GroupCommitStats::fallbacks);
    w.Family("payments_db_connect_failures_total", "counter", "Failed attempts to connect.");
    w.Sample("payments_db_connect_failures_total", {}, static_cast<double>(s.connect_failures));
    w.Family("payments_db_up", "gauge", "1 while the database answers.");
    w.Sample("payments_db_up", {}, s.healthy ? 1 : 0);
    const http::Server* server = public_started.load();
    w.Family("payments_http_in_flight_requests", "gauge", "Requests being handled now.");
    if (server != nullptr) {
      w.Sample("payments_http_in_flight_requests", {{"listener", "public"}}, server->in_flight());
    }
    w.Family("payments_http_open_connections", "gauge", "Open client connections.");
    if (server != nullptr) {
      w.Sample("payments_http_open_connections", {{"listener", "public"}},
               server->open_connections());
    }
    const service::PaymentCounters counters = payments.Counters();
    w.Family("payments_payments_total", "counter", "Payment operations by outcome.");
    for (const auto& [outcome, n] : counters.by_outcome) {
      w.Sample("payments_payments_total", {{"outcome", outcome}}, static_cast<double>(n));
    }
    w.Family("payments_processor_calls_total", "counter", "Calls made to the processor.");
    for (const auto& [operation, n] : counters.processor_calls) {
      w.Sample("payments_processor_calls_total",
               {{"processor", std::string(sandbox.name())}, {"operation", operation}},
               static_cast<double>(n));
    }
    w.Family("payments_ready", "gauge", "1 while /readyz answers 200.");
    w.Sample("payments_ready", {}, health.Ready() ? 1 : 0);
    w.Family("process_resident_memory_bytes", "gauge", "Resident set size.");
    w.Sample("process_resident_memory_bytes", {}, ProcessRssBytes());
    w.Family("process_cpu_seconds_total", "counter", "User and system CPU time.");
    w.Sample("process_cpu_seconds_total", {}, ProcessCpuSeconds());
    w.Family("payments_uptime_seconds", "gauge", "Seconds since the process started.");
    w.Sample("payments_uptime_seconds", {},
             std::chrono::duration<double>(Clock::now() - started).count());
    w.Family("payments_build_info", "gauge", "Version of this binary.");
    w.Sample("payments_build_info",
             {{"version", std::string(build.version)}, {"commit", std::string(build.commit)}}, 1);
  });

  // The public listener. With `fibers` (the default) a handler runs on a
  // fiber on the event-loop thread that read its request and parks there
  // whenever it waits (the database, a shared transaction, the processor):
  // no hand-off to a worker and back, no thread wake-up per request
  // (bench/README.md). With `threads` it runs on the worker pool, blocking a
  // worker while it waits — the way before fibers, kept as a rollback.
  const bool on_fibers = config.handlers != "threads";
  std::optional<boost::asio::thread_pool> handler_pool;
  if (!on_fibers) handler_pool.emplace(static_cast<size_t>(std::max(1, config.workers)));
  public_server = std::make_unique<http::Server>(
      http::ServerOptions{.name = "public",
                          .idle_timeout = config.http_idle_timeout,
                          .read_timeout = config.http_read_timeout,
                          .io_threads = config.io_threads},
      [&, on_fibers](http::Request req, http::Done done) {
        if (on_fibers) {
          fibers::Start(*http::Server::CurrentLoop(),
                        [&, req = std::move(req), done = std::move(done)]() mutable {
                          done(public_api.Handle(req));
                        });
          return;
        }
        boost::asio::post(*handler_pool,
                          [&, req = std::move(req), done = std::move(done)]() mutable {
                            done(public_api.Handle(req));
                          });
      },
      [&metrics](const http::Request& req, const http::Response& res, std::chrono::nanoseconds t) {
        AccessLog("public", metrics, req, res, t);
      });
  auto public_port = public_server->Listen(public_address->host, public_address->port);
  if (!public_port) {
    log::Error("cannot open the public listener", {{"error", public_port.error().message}});
    for (auto& w : workers) w->Stop();
    admin_server.Stop();
    if (embedded_pg != nullptr) (void)embedded_pg->Stop();
    return 1;
  }
  public_server->Start();
  public_started = public_server.get();
  const std::string public_bound = FormatAddress(public_address->host, *public_port);
  health.Set("lifecycle", true);
  log::Info(
      "listening",
      {{"public", public_bound},
       {"admin", admin_bound},
       {"version", build.version},
       {"startup_ms", std::chrono::duration<double, std::milli>(Clock::now() - started).count()}});
  if (embedded) PrintBanner(public_bound, embedded->demo, config.data_dir);

  // Run until told to stop.
  while (signals.WaitFor(1, std::chrono::hours(24)) < 1) {
  }
  const auto signalled = Clock::now();
  log::Info("shutting down: draining", {{"signal", signals.last()},
                                        {"drain_delay_ms", config.drain_delay.count()},
                                        {"in_flight", public_server->in_flight()}});
  // Phase 1: unready at once; keep accepting so load balancers notice first.
  health.Set("lifecycle", false, "draining");
  public_server->BeginDrain();
  if (signals.WaitFor(2, config.drain_delay) >= 2) {
    ExitNow(130, "second signal during the drain delay", public_server.get(), embedded_pg);
  }
  // Phase 2: stop accepting, close idle connections, let in-flight finish.
  public_server->StopAccepting();
  log::Info("shutting down: listener closed", {{"in_flight", public_server->in_flight()}});
  const auto deadline = signalled + config.drain_delay + config.shutdown_timeout;
  while (!public_server->WaitIdle(std::min(deadline, Clock::now() + milliseconds(50)))) {
    if (signals.count() >= 2) {
      ExitNow(130, "second signal while requests were in flight", public_server.get(), embedded_pg);
    }
    if (Clock::now() >= deadline) {
      ExitNow(1, "shutdown timeout with requests in flight", public_server.get(), embedded_pg);
    }
  }
  // Phase 3: workers, handlers, the pool, the rest.
  for (auto& w : workers) w->Stop();
  if (auto gone =
          db::Read(pool, [&](db::Connection& c) { return store::DeregisterInstance(c, self.id); });
      !gone) {
    // Its heartbeat goes stale in store::kInstanceStaleAfter instead.
    log::Warn("could not deregister the instance", {{"error", gone.error().detail}});
  }
  relay->Stop();  // finishes or abandons its batch; unconfirmed rows stay unpublished
  flags.Stop();
  if (handler_pool) handler_pool->join();
  admin_pool.join();
  public_server->Stop();
  pool.Close();
  admin_server.Stop();
  if (embedded_pg != nullptr) {
    if (auto s = embedded_pg->Stop(); !s) {
      log::Warn("the embedded PostgreSQL did not stop cleanly", {{"error", s.error().message}});
    }
  }
  log::Info("stopped",
            {{"shutdown_ms",
              std::chrono::duration<double, std::milli>(Clock::now() - signalled).count()}});
  log::Flush();
  return 0;
}

}  // namespace payments::runtime
