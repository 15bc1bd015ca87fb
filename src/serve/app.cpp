#include "serve/app.h"

#include <fmt/format.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "api/admin_flags_handlers.h"
#include "api/admin_keys_handlers.h"
#include "api/events_handlers.h"
#include "api/payment_handlers.h"
#include "api/public_api.h"
#include "api/webhook_handlers.h"
#include "core/build_info.h"
#include "core/crypto.h"
#include "core/duration.h"
#include "core/host_port.h"
#include "db/db_metrics.h"
#include "db/pool.h"
#include "db/transaction.h"
#include "events/kafka_settings.h"
#include "events/outbox_relay.h"
#include "events/relay_metrics.h"
#include "fibers/fiber.h"
#include "flags/flag_source.h"
#include "http/server.h"
#include "http/server_metrics.h"
#include "http/tls_context.h"
#include "migrate/migration.h"
#include "processors/http_processor.h"
#include "serve/access_log.h"
#include "serve/admin_api.h"
#include "serve/background_workers.h"
#include "serve/embedded_default.h"
#include "serve/fault_routes.h"
#include "serve/flag_refresher.h"
#include "serve/health.h"
#include "serve/sandbox_child.h"
#include "serve/signals.h"
#include "serve/stop_stack.h"
#include "service/api_keys.h"
#include "service/payment_metrics.h"
#include "service/payment_service.h"
#include "service/reconciler.h"
#include "service/webhook_dispatcher.h"
#include "service/webhook_endpoints.h"
#include "store/instance_store.h"
#include "store/merchant_store.h"
#include "telemetry/log.h"
#include "telemetry/metrics.h"

namespace payments::serve {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string FormatAddress(const std::string& host, uint16_t port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
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

// `serve` from start to exit, one named step at a time. Each part, once
// started, pushes how it stops onto stops_, so every way out stops what runs
// in the reverse order of starting (serve/stop_stack.h). Members are declared
// in the order they are built and outlive everything that refers to them.
class Lifecycle {
 public:
  Lifecycle(const ServeConfig& config, SignalWatcher& signals)
      : config_(config), signals_(signals), started_(Clock::now()) {}
  Lifecycle(const Lifecycle&) = delete;
  Lifecycle& operator=(const Lifecycle&) = delete;
  ~Lifecycle() { signals_.OnHangup(nullptr); }  // before the parts it reloads go

  int Run() {
    if (int code = Prepare(); code != 0) return code;
    if (!OpenAdmin()) return 1;
    if (!StartDatabaseSide()) return 1;
    if (!WaitUntilReady()) {
      log::Info("stopped before becoming ready", {{"signal", signals_.last()}});
      return 0;
    }
    RegisterInstance();
    if (!ConnectProcessor()) return 1;
    AssemblePublicApi();
    StartWorkers();
    AddMetrics();
    if (!OpenPublic()) return 1;
    while (signals_.WaitFor(1, std::chrono::hours(24)) < 1) {
    }
    Drain();
    stops_.StopAll();
    log::Info("stopped",
              {{"shutdown_ms",
                std::chrono::duration<double, std::milli>(Clock::now() - signalled_).count()}});
    log::Flush();
    return 0;
  }

 private:
  // Addresses, the migrations built in, and the parts that do not run yet:
  // the pool, the outbox relay (its Kafka settings are checked now, so a typo
  // fails the start instead of the first publish) and the flag refresher.
  int Prepare() {
    auto public_address = ParseHostPort(config_.listen);
    auto admin_address = ParseHostPort(config_.admin_listen);
    if (!public_address || !admin_address) {
      log::Error("bad listen address",
                 {{"error", (!public_address ? public_address : admin_address).error().message}});
      return 2;
    }
    public_address_ = *public_address;
    admin_address_ = *admin_address;
    if (!config_.tls_cert_file.empty()) {
      auto tls = http::ServerTls::Load(
          {.cert_file = config_.tls_cert_file, .key_file = config_.tls_key_file});
      if (!tls) {
        std::fprintf(stderr, "payments: error: %s\n", tls.error().message.c_str());
        return 2;
      }
      tls_ = std::move(*tls);
      LogCertificate("TLS certificate loaded", tls_->info());
    }
    signals_.OnHangup([this] { ReloadTls(); });
    auto built_in = migrate::LoadEmbeddedMigrations();
    if (!built_in) {
      log::Error("the embedded migrations are unreadable", {{"error", built_in.error().message}});
      return 1;
    }
    built_in_ = std::move(*built_in);

    health_.Set("lifecycle", false, "starting");
    health_.Set("database", false, "not reached yet");
    health_.Set("schema", false, "not checked yet");

    // The embedded default (started once the admin listener answers) or
    // PAYMENTS_DATABASE_URL. Nothing connects yet.
    std::string conninfo = config_.database_url;
    if (conninfo.empty()) {
      embedded_ = MakeEmbedded(config_.data_dir);
      conninfo = embedded_->conninfo;
    }
    conninfo_ = conninfo;
    pool_ = std::make_unique<db::Pool>(
        db::PoolOptions{.connect = {.conninfo = conninfo,
                                    .application_name = "payments serve",
                                    .connect_timeout = std::chrono::seconds(2),
                                    .statement_timeout = config_.statement_timeout,
                                    .lock_timeout = milliseconds(0),
                                    .idle_in_transaction_timeout = milliseconds(60'000)},
                        .size = config_.db_pool_size,
                        .acquire_timeout = milliseconds(1000),
                        .backoff_initial = milliseconds(50),
                        .backoff_max = milliseconds(2000)});
    log::Info("database",
              {{"url", db::RedactConninfo(conninfo)}, {"embedded", embedded_.has_value()}});

    events::RelayOptions relay_options;
    relay_options.database = {.conninfo = conninfo,
                              .application_name = "payments relay",
                              .connect_timeout = std::chrono::seconds(2),
                              .statement_timeout = config_.statement_timeout};
    relay_options.brokers = config_.kafka_brokers;
    relay_options.topic = config_.kafka_topic;
    relay_options.batch_size = config_.events_batch_size;
    relay_options.retention = std::chrono::hours(24 * config_.events_retention_days);
    relay_options.kafka_settings = events::KafkaSettingsFromEnvironment();
    auto relay = events::OutboxRelay::Create(std::move(relay_options));
    if (!relay) {
      std::fprintf(stderr, "payments: error: %s\n", relay.error().message.c_str());
      return 2;
    }
    relay_ = std::move(*relay);
    flags_ = std::make_unique<FlagRefresher>(
        FlagRefresherOptions{.connect = {.conninfo = conninfo,
                                         .application_name = "payments flags",
                                         .connect_timeout = std::chrono::seconds(2),
                                         .statement_timeout = milliseconds(2000)},
                             .poll_interval = config_.flags_poll_interval});
    return 0;
  }

  static void LogCertificate(std::string_view message, const http::TlsCertificateInfo& info) {
    log::Info(message,
              {{"subject", info.subject}, {"serial", info.serial}, {"not_after", info.not_after}});
  }

  // SIGHUP, on the signal watcher's thread: new connections get the
  // certificate and key read now; open ones keep theirs; a failure keeps the
  // loaded ones and is counted (payments_tls_reloads_total{result="error"}).
  void ReloadTls() {
    if (!tls_) {
      log::Info("SIGHUP ignored", {{"reason", "TLS is not configured"}});
      return;
    }
    auto reloaded = tls_->Reload();
    if (!reloaded) {
      log::Error("TLS reload failed; the previous certificate stays in use",
                 {{"error", reloaded.error().message}});
      return;
    }
    LogCertificate("TLS certificate reloaded", *reloaded);
  }

  nlohmann::ordered_json VersionInfo() const {
    const BuildInfo& build = GetBuildInfo();
    return nlohmann::ordered_json{{"version", build.version},
                                  {"commit", build.commit},
                                  {"build_time", build.build_time},
                                  {"schema_version_built_in", migrate::BuiltInSchemaVersion()},
                                  {"schema_version_applied", health_.schema_version()}};
  }

  // What /livez reports: the public event loop must keep turning.
  std::string LivenessProblem() const {
    const http::Server* server = public_started_.load();
    if (server == nullptr) return "";
    const auto stalled = Clock::now() - server->last_tick();
    if (stalled <= config_.liveness_stall) return "";
    return fmt::format("the public event loop has not run for {} ms",
                       std::chrono::duration_cast<milliseconds>(stalled).count());
  }

  // The admin listener comes up first: probes answer (503) while we start.
  // Probes answer on its I/O thread from memory; the admin API touches the
  // database, so it runs on threads of its own and can never stall probes.
  bool OpenAdmin() {
    admin_ = std::make_unique<AdminApi>(
        health_, metrics_, [this] { return VersionInfo(); }, [this] { return LivenessProblem(); });
    if (config_.fault_injection) {
      log::Warn("fault injection is enabled", {});
      RegisterFaultRoutes(
          admin_->router(), config_.admin_token, [this] { return public_started_.load(); },
          config_.io_threads);
    }
    api::RegisterAdminFlagRoutes(admin_->router(), *pool_, {.token = config_.admin_token});
    api::RegisterAdminKeyRoutes(admin_->router(), *pool_, {.token = config_.admin_token});
    admin_pool_ = std::make_unique<boost::asio::thread_pool>(2);
    admin_server_ = std::make_unique<http::Server>(
        http::ServerOptions{.name = "admin",
                            .idle_timeout = config_.http_idle_timeout,
                            .read_timeout = config_.http_read_timeout,
                            .io_threads = 1,
                            // probes and a scraper: a flood of the public
                            // listener cannot take these slots
                            .max_connections = 100},
        [this](http::Request req, http::Done done) {
          if (!req.path.starts_with("/admin/")) {
            done(admin_->Handle(req));
            return;
          }
          boost::asio::post(*admin_pool_,
                            [this, req = std::move(req), done = std::move(done)]() mutable {
                              done(admin_->Handle(req));
                            });
        },
        [this](const http::Request& req, const http::Response& res, std::chrono::nanoseconds t) {
          AccessLog("admin", metrics_, req, res, t);
        });
    auto port = admin_server_->Listen(admin_address_.host, admin_address_.port);
    if (!port) {
      log::Error("cannot open the admin listener", {{"error", port.error().message}});
      return false;
    }
    admin_server_->Start();
    stops_.Push("admin listener", [this] {
      admin_pool_->join();
      admin_server_->Stop();
    });
    admin_bound_ = FormatAddress(admin_address_.host, *port);
    log::Info("admin listening", {{"admin", admin_bound_}});
    return true;
  }

  // The embedded database (when it is the default), the flag refresher and
  // the outbox relay, each on connections of its own.
  bool StartDatabaseSide() {
    if (embedded_) {
      if (auto started = StartEmbedded(config_.data_dir, *embedded_); !started) {
        log::Error("the embedded database did not start",
                   {{"error", started.error().message}, {"detail", started.error().detail}});
        return false;
      }
      stops_.Push("embedded PostgreSQL", [this] {
        if (auto s = embedded_->pg->Stop(); !s) {
          log::Warn("the embedded PostgreSQL did not stop cleanly", {{"error", s.error().message}});
        }
      });
    }
    stops_.Push("database pool", [this] { pool_->Close(); });
    flags_->Start();
    stops_.Push("flag refresher", [this] { flags_->Stop(); });
    ReportFlags(*flags_, health_, metrics_);
    relay_->Start();
    // Finishes or abandons its batch; unconfirmed rows stay unpublished.
    stops_.Push("outbox relay", [this] { relay_->Stop(); });
    log::Info("outbox relay",
              {{"publishing", !config_.kafka_brokers.empty()}, {"topic", config_.kafka_topic}});
    metrics_.AddCollector(
        [this](telemetry::MetricsWriter& w) { events::WriteRelayMetrics(relay_->Metrics(), w); });
    return true;
  }

  // Waits for the database, a compatible schema and the card fingerprint
  // key; false when a signal came first (nothing is in flight yet).
  bool WaitUntilReady() {
    fingerprint_key_ = config_.fingerprint_key;
    while (signals_.count() == 0) {
      auto probe = pool_->Probe();
      health_.Set("database", probe.has_value(), probe ? "" : probe.error().detail);
      if (probe && CheckSchemaInto(*pool_, built_in_, health_)) {
        bool schema_ok = false;
        for (const auto& c : health_.Checks()) {
          if (c.name == "schema") schema_ok = c.ok;
        }
        if (schema_ok && fingerprint_key_.empty()) {
          auto key = db::InTransaction(*pool_, [](db::Connection& conn) {
            return store::GetOrCreateSecret(conn, "card_fingerprint_key", RandomBase62(43));
          });
          if (key) fingerprint_key_ = *key;
        }
        if (schema_ok && !fingerprint_key_.empty()) return true;
      }
      signals_.WaitFor(1, milliseconds(250));
    }
    return false;
  }

  // Registers for the expand/contract interlock: a contract migration
  // refuses to run while this binary (built without it) is alive.
  void RegisterInstance() {
    self_ = store::DescribeThisInstance(migrate::BuiltInSchemaVersion());
    if (auto registered =
            db::Read(*pool_, [&](db::Connection& c) { return store::RegisterInstance(c, self_); });
        !registered) {
      log::Warn("could not register the instance yet", {{"error", registered.error().detail}});
    }
    log::Info("instance registered",
              {{"instance", self_.id}, {"schema_version_built_in", self_.schema_version}});
    stops_.Push("instance registration", [this] {
      if (auto gone = db::Read(
              *pool_, [&](db::Connection& c) { return store::DeregisterInstance(c, self_.id); });
          !gone) {
        // Its heartbeat goes stale in store::kInstanceStaleAfter instead.
        log::Warn("could not deregister the instance", {{"error", gone.error().detail}});
      }
    });
  }

  // The processor at its URL, or the simulated one started as our child.
  bool ConnectProcessor() {
    std::string url = config_.processor_url;
    if (url.empty()) {
      const std::string journal = config_.sandbox_journal.empty()
                                      ? config_.data_dir + "/sandbox.journal"
                                      : config_.sandbox_journal;
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(journal).parent_path(), ec);
      auto child = SandboxChild::Start({.journal = journal,
                                        .latency = config_.sandbox_latency,
                                        .slow_latency = config_.sandbox_slow_latency,
                                        .hang = config_.sandbox_hang});
      if (!child) {
        log::Error("the sandbox processor did not start",
                   {{"error", child.error().message}, {"output", child.error().detail}});
        return false;
      }
      sandbox_child_ = std::move(*child);
      url = sandbox_child_->url();
      log::Info("sandbox processor started",
                {{"url", url}, {"journal", journal}, {"pid", sandbox_child_->pid()}});
      // Stopped after the public listener: in-flight payments finish first.
      stops_.Push("sandbox processor", [this] { sandbox_child_->Stop(); });
    }
    auto processor =
        processors::HttpProcessor::Create({.url = url,
                                           .connect_timeout = config_.processor_connect_timeout,
                                           .timeout = config_.processor_timeout});
    if (!processor) {
      log::Error("cannot use the processor", {{"error", processor.error().message}});
      return false;
    }
    processor_ = std::move(*processor);
    return true;
  }

  void AssemblePublicApi() {
    payments_ = std::make_unique<service::PaymentService>(
        *pool_, *processor_,
        service::ServiceOptions{.idempotency_lock = config_.idempotency_lock,
                                .group_commit = config_.db_group_commit,
                                .fingerprint_key = fingerprint_key_,
                                .previous_fingerprint_key = config_.fingerprint_key_previous,
                                .fingerprint_per_merchant = config_.fingerprint_scope != "global",
                                .card_testing =
                                    {
                                        .min_declines = config_.card_testing_min_declines,
                                        .decline_ratio = config_.card_testing_decline_ratio,
                                        .window = config_.card_testing_window,
                                        .cooldown = config_.card_testing_pause,
                                    },
                                // Past the call's worst case: each attempt may connect, write
                                // and read to their timeouts, with the backoff between them.
                                .reconcile_after = processors::HttpProcessorOptions{}.max_attempts *
                                                       (config_.processor_connect_timeout +
                                                        2 * config_.processor_timeout) +
                                                   std::chrono::milliseconds(500)});
    payments_->SetProcessorGate([this](std::string_view processor, std::string_view merchant_id) {
      return flags::CheckProcessorEnabled(*flags_, processor, merchant_id);
    });
    keys_ = std::make_unique<service::KeyAuthenticator>(
        *pool_, service::KeyAuthOptions{.accepts = processor_->live() ? service::KeyMode::kLive
                                                                      : service::KeyMode::kTest});
    (void)keys_->Sync();  // before the first request, so that the cache serves it
    // The serve command checked the list; an empty one trusts nobody.
    rate_limits_ = std::make_unique<api::RateLimits>(api::RateLimitOptions{
        .per_key = {.rate = config_.rate_limit, .burst = config_.rate_limit_burst},
        .auth_failures = {.rate = config_.auth_failures_per_minute / 60.0,
                          .burst = config_.auth_failure_burst},
        .trusted_proxies =
            http::TrustedProxies::Parse(config_.trusted_proxies).value_or(http::TrustedProxies()),
    });
    public_api_ = std::make_unique<api::PublicApi>(
        [this](const std::string& key) { return keys_->Authenticate(key); }, rate_limits_.get());
    api::RegisterPaymentRoutes(*public_api_, *payments_);
    api::RegisterEventRoutes(*public_api_, *pool_);
    webhooks_ = std::make_unique<service::WebhookEndpoints>(*pool_, WebhookSettings());
    api::RegisterWebhookRoutes(*public_api_, *webhooks_);
  }

  // serve_command.cpp checked the settings; the secrets key is the
  // operator's, else derived from the fingerprint key.
  service::WebhookSettings WebhookSettings() const {
    const service::WebhookSecretsKeys keys = service::ResolveWebhookSecretsKeys(
        config_.webhook_secrets_key, config_.webhook_secrets_key_previous, fingerprint_key_,
        config_.fingerprint_key_previous);
    return {.allow_http = config_.webhook_allow_http,
            .allowed = http::ParseIpNetworks(config_.webhook_allowed_networks)
                           .value_or(std::vector<http::IpNetwork>{}),
            .secrets_key = keys.key,
            .previous_secrets_key = keys.previous,
            .resolve_timeout = config_.webhook_connect_timeout};
  }

  void StartWebhooks() {
    // The endpoints API's settings: the same URL policy and keys.
    const service::WebhookSettings& settings = webhooks_->settings();
    service::WebhookRetryOptions retry{
        .schedule = ParseDurationList(config_.webhook_retry_schedule, "", "")
                        .value_or(service::WebhookRetryOptions{}.schedule),
        .breaker_threshold = config_.webhook_breaker_threshold};
    dispatcher_ = std::make_unique<service::WebhookDispatcher>(
        *pool_, service::DispatcherOptions{
                    .owner = self_.id,
                    .workers = config_.webhook_workers,
                    .per_endpoint = config_.webhook_endpoint_concurrency,
                    .per_merchant = config_.webhook_merchant_concurrency,
                    .lease = config_.webhook_lease,
                    .poll_interval = config_.webhook_poll_interval,
                    .allow_http = settings.allow_http,
                    .allowed = settings.allowed,
                    .secrets_key = settings.secrets_key,
                    .previous_secrets_key = settings.previous_secrets_key,
                    .outbound = {.connect_timeout = config_.webhook_connect_timeout,
                                 .total_timeout = config_.webhook_timeout,
                                 .ca_file = config_.webhook_ca_file},
                    .retry = retry,
                    .retention = std::chrono::hours(24 * config_.events_retention_days)});
    dispatcher_->Start();
    // Attempts in flight finish within the outbound timeouts; the rest's
    // leases run out and another instance delivers them.
    stops_.Push("webhook dispatcher", [this] { dispatcher_->Stop(); });
  }

  void StartWorkers() {
    workers_ =
        std::make_unique<BackgroundWorkers>(*pool_, health_, built_in_, self_, *relay_, *keys_);
    workers_->Start();
    stops_.Push("background workers", [this] { workers_->Stop(); });
    auto schedule = service::ParseReconcileSchedule(config_.reconcile_schedule);
    reconciler_ = std::make_unique<service::Reconciler>(
        *pool_, *processor_,
        service::ReconcileOptions{
            .schedule = schedule ? *schedule : service::ReconcileOptions{}.schedule,
            .conninfo = conninfo_});
    reconcile_worker_ = std::make_unique<PeriodicWorker>("reconciler", config_.reconcile_interval,
                                                         [this] { return reconciler_->RunOnce(); });
    reconcile_worker_->Start();
    stops_.Push("reconciler", [this] {
      reconcile_worker_->Stop();
      reconciler_->Release();  // another instance's takes over at its next tick
    });
    StartWebhooks();
  }

  // Each module writes its own families from a snapshot of its numbers.
  void AddMetrics() {
    metrics_.AddCollector([this](telemetry::MetricsWriter& w) {
      db::WritePoolMetrics(pool_->Stats(), w);
      db::WriteGroupCommitMetrics(
          {{"claim", payments_->ClaimGroupStats()}, {"payment", payments_->WriteGroupStats()}}, w);
      http::WriteServerMetrics(public_started_.load(), "public", w);
      http::WriteTlsMetrics(tls_.get(), w);
      service::WritePaymentMetrics(payments_->Counters(), processor_->name(), w);
      service::WriteReconcileMetrics(reconciler_->Stats(), w);
      service::WriteWebhookMetrics(dispatcher_->Stats(), w);
      rate_limits_->WriteMetrics(w);
      w.Family("payments_ready", "gauge", "1 while /readyz answers 200.");
      w.Sample("payments_ready", {}, health_.Ready() ? 1 : 0);
      telemetry::WriteProcessMetrics(started_, w);
    });
  }

  // The public listener. With `fibers` (the default) a handler runs on a
  // fiber on the event-loop thread that read its request and parks there
  // whenever it waits (the database, a shared transaction, the processor):
  // no hand-off to a worker and back, no thread wake-up per request
  // (bench/history/2026-11-25c-fibers.md). With `threads` it runs on the
  // worker pool, blocking a worker while it waits — the way before fibers,
  // kept as a rollback.
  bool OpenPublic() {
    const bool on_fibers = config_.handlers != "threads";
    if (!on_fibers) {
      handler_pool_ = std::make_unique<boost::asio::thread_pool>(
          static_cast<size_t>(std::max(1, config_.workers)));
      stops_.Push("handler threads", [this] { handler_pool_->join(); });
    }
    public_server_ = std::make_unique<http::Server>(
        http::ServerOptions{.name = "public",
                            .idle_timeout = config_.http_idle_timeout,
                            .read_timeout = config_.http_read_timeout,
                            .io_threads = config_.io_threads,
                            .max_connections = static_cast<size_t>(config_.max_connections),
                            .tls = tls_},
        [this, on_fibers](http::Request req, http::Done done) {
          if (on_fibers) {
            fibers::Start(*http::Server::CurrentLoop(),
                          [this, req = std::move(req), done = std::move(done)]() mutable {
                            done(public_api_->Handle(req));
                          });
            return;
          }
          boost::asio::post(*handler_pool_,
                            [this, req = std::move(req), done = std::move(done)]() mutable {
                              done(public_api_->Handle(req));
                            });
        },
        [this](const http::Request& req, const http::Response& res, std::chrono::nanoseconds t) {
          AccessLog("public", metrics_, req, res, t);
        });
    auto port = public_server_->Listen(public_address_.host, public_address_.port);
    if (!port) {
      log::Error("cannot open the public listener", {{"error", port.error().message}});
      return false;
    }
    public_server_->Start();
    stops_.Push("public listener", [this] { public_server_->Stop(); });
    public_started_ = public_server_.get();
    const std::string public_bound = FormatAddress(public_address_.host, *port);
    health_.Set("lifecycle", true);
    log::Info("listening",
              {{"public", public_bound},
               {"tls", tls_ != nullptr},
               {"admin", admin_bound_},
               {"version", GetBuildInfo().version},
               {"startup_ms",
                std::chrono::duration<double, std::milli>(Clock::now() - started_).count()}});
    if (embedded_) PrintBanner(public_bound, embedded_->demo, config_.data_dir);
    return true;
  }

  // The two timed phases of shutdown (serve/app.h). A second signal or the
  // timeout cuts it short (ExitNow); otherwise the stop stack does the rest.
  void Drain() {
    signalled_ = Clock::now();
    log::Info("shutting down: draining", {{"signal", signals_.last()},
                                          {"drain_delay_ms", config_.drain_delay.count()},
                                          {"in_flight", public_server_->in_flight()}});
    EmbeddedPostgres* embedded_pg = embedded_ ? embedded_->pg.get() : nullptr;
    // Phase 1: unready at once; keep accepting so load balancers notice first.
    health_.Set("lifecycle", false, "draining");
    public_server_->BeginDrain();
    if (signals_.WaitFor(2, config_.drain_delay) >= 2) {
      ExitNow(130, "second signal during the drain delay", public_server_.get(), embedded_pg);
    }
    // Phase 2: stop accepting, close idle connections, let in-flight finish.
    public_server_->StopAccepting();
    log::Info("shutting down: listener closed", {{"in_flight", public_server_->in_flight()}});
    const auto deadline = signalled_ + config_.drain_delay + config_.shutdown_timeout;
    while (!public_server_->WaitIdle(std::min(deadline, Clock::now() + milliseconds(50)))) {
      if (signals_.count() >= 2) {
        ExitNow(130, "second signal while requests were in flight", public_server_.get(),
                embedded_pg);
      }
      if (Clock::now() >= deadline) {
        ExitNow(1, "shutdown timeout with requests in flight", public_server_.get(), embedded_pg);
      }
    }
  }

  const ServeConfig& config_;
  SignalWatcher& signals_;
  const Clock::time_point started_;
  Clock::time_point signalled_;
  HostPort public_address_;
  HostPort admin_address_;
  std::shared_ptr<http::ServerTls> tls_;  // null: plain HTTP
  std::vector<migrate::Migration> built_in_;
  Health health_;
  telemetry::Metrics metrics_;
  std::optional<Embedded> embedded_;
  std::unique_ptr<db::Pool> pool_;
  std::unique_ptr<events::OutboxRelay> relay_;
  std::unique_ptr<FlagRefresher> flags_;
  std::atomic<http::Server*> public_started_{nullptr};  // for the admin thread
  std::unique_ptr<AdminApi> admin_;
  std::unique_ptr<boost::asio::thread_pool> admin_pool_;
  std::unique_ptr<http::Server> admin_server_;
  std::string admin_bound_;
  std::string fingerprint_key_;
  store::Instance self_;
  std::unique_ptr<SandboxChild> sandbox_child_;
  std::unique_ptr<processors::Processor> processor_;
  std::unique_ptr<service::PaymentService> payments_;
  std::unique_ptr<service::KeyAuthenticator> keys_;
  std::unique_ptr<api::RateLimits> rate_limits_;
  std::unique_ptr<api::PublicApi> public_api_;
  std::unique_ptr<BackgroundWorkers> workers_;
  std::unique_ptr<service::Reconciler> reconciler_;
  std::unique_ptr<PeriodicWorker> reconcile_worker_;
  std::unique_ptr<service::WebhookEndpoints> webhooks_;
  std::unique_ptr<service::WebhookDispatcher> dispatcher_;
  std::string conninfo_;
  std::unique_ptr<boost::asio::thread_pool> handler_pool_;
  std::unique_ptr<http::Server> public_server_;
  StopStack stops_;  // last: destroyed first, so whatever still runs stops
                     // before the parts it refers to are destroyed
};

}  // namespace

int RunServe(const ServeConfig& config) {
  // Before any other thread exists, so that every thread inherits the mask.
  SignalWatcher signals;
  log::SetLevel(config.log_level);
  log::StartPeriodicFlush(std::chrono::seconds(1));  // the access log's lines
  Lifecycle lifecycle(config, signals);
  return lifecycle.Run();
}

}  // namespace payments::serve
