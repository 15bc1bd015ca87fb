// Relay throughput: how fast committed outbox rows become acknowledged Kafka
// messages marked published, by batch size. A private PostgreSQL (started
// here under /tmp) and librdkafka's mock cluster (3 brokers, 4 partitions,
// replication 3) on this machine; each iteration commits 10,000 events in
// one transaction and times from COMMIT until the relay has marked them all.
//
//   build/outbox_relay_benchmark --benchmark_repetitions=5
#include <benchmark/benchmark.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>

#include "core/ids.h"
#include "db/connection.h"
#include "events/cloud_event.h"
#include "events/outbox_relay.h"
#include "migrate/migrator.h"
#include "payments/payment_json.h"
#include "serve/embedded_postgres.h"
#include "store/event_store.h"
#include "telemetry/log.h"

namespace payments::events {
namespace {

constexpr int kEventsPerIteration = 10000;
constexpr char kMerchant[] = "mer_01jd8k3m6w9q4r2t7v5x0y1z3a";

void Quiet(const rd_kafka_t*, int, const char*, const char*) {}

struct Environment {
  std::string dir;
  std::unique_ptr<serve::EmbeddedPostgres> pg;
  std::string conninfo;
  rd_kafka_t* host = nullptr;
  rd_kafka_mock_cluster_t* kafka = nullptr;
  std::string brokers;

  Environment() {
    log::SetLevel("error");
    char tmpl[] = "/tmp/payments-bench-XXXXXX";
    dir = mkdtemp(tmpl);
    chmod(dir.c_str(), 0755);
    pg = std::make_unique<serve::EmbeddedPostgres>(serve::EmbeddedPostgresOptions{
        .data_dir = dir + "/data", .socket_dir = dir + "/run", .port = 5432, .settings = {}});
    if (auto s = pg->Start(); !s) std::abort();
    if (auto s = pg->EnsureDatabase("bench"); !s) std::abort();
    conninfo = pg->ConnInfo("bench");
    auto conn = db::Connection::Open({.conninfo = conninfo});
    auto migrations = migrate::LoadEmbeddedMigrations();
    if (!conn || !migrations) std::abort();
    migrate::Migrator m(**conn, std::move(*migrations), {});
    if (!m.Up({})) std::abort();
    (void)(*conn)->Exec("INSERT INTO merchants (id, name) VALUES ($1, 'bench')",
                        db::Params().Add(kMerchant));

    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, Quiet);
    char err[256];
    host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    kafka = rd_kafka_mock_cluster_new(host, 3);
    rd_kafka_mock_topic_create(kafka, "payments.events", 4, 3);
    brokers = rd_kafka_mock_cluster_bootstraps(kafka);
  }

  ~Environment() {
    rd_kafka_mock_cluster_destroy(kafka);
    rd_kafka_destroy(host);
    (void)pg->Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Environment& Env() {
  static Environment env;
  return env;
}

Payment SamplePayment(int n) {
  Payment p;
  p.id = NewId("pay");
  p.merchant_id = kMerchant;
  p.amount = 1000 + n;
  p.currency = "usd";
  p.status = PaymentStatus::kCaptured;
  p.amount_captured = p.amount;
  p.card = {.brand = "visa",
            .last4 = "4242",
            .exp_month = 12,
            .exp_year = 2030,
            .fingerprint = "9f86d081884c7d65a0d3c8b5e2f1a4b7"};
  p.processor = "sandbox";
  p.description = "order";
  p.metadata = {{"order_id", std::to_string(n)}};
  p.created = 1764000000;
  return p;
}

void BM_RelayDrain(benchmark::State& state) {
  Environment& env = Env();
  RelayOptions options;
  options.database.conninfo = env.conninfo;
  options.brokers = env.brokers;
  options.batch_size = static_cast<int>(state.range(0));
  options.idle_poll = std::chrono::milliseconds(5);
  auto relay = OutboxRelay::Create(options);
  if (!relay) {
    state.SkipWithError(relay.error().message.c_str());
    return;
  }
  (*relay)->Start();
  auto conn = db::Connection::Open({.conninfo = env.conninfo});
  if (!conn) std::abort();
  int64_t target = 0;
  for (auto _ : state) {
    state.PauseTiming();
    (void)(*conn)->Exec("BEGIN");
    for (int i = 0; i < kEventsPerIteration; ++i) {
      const Payment p = SamplePayment(i);
      if (!store::InsertEvent(**conn,
                              MakeEvent("payment.captured", kMerchant, p.id, PaymentToJson(p)))) {
        std::abort();
      }
    }
    target += kEventsPerIteration;
    state.ResumeTiming();
    (void)(*conn)->Exec("COMMIT");
    while ((*relay)->Metrics().published_total < target) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  (*relay)->Stop();
  state.SetItemsProcessed(state.iterations() * kEventsPerIteration);
}
BENCHMARK(BM_RelayDrain)
    ->Arg(100)
    ->Arg(500)
    ->Arg(2000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

}  // namespace
}  // namespace payments::events
