#include "support/relay_fixture.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "events/event_types.h"
#include "store/event_store.h"
#include "support/sample_events.h"

extern char** environ;

namespace payments::testing {
namespace {

using namespace std::chrono_literals;

// A payment's life, cycled through.
constexpr std::string_view kLife[] = {events::kPaymentCreated,  events::kPaymentCaptured,
                                      events::kPaymentRefunded, events::kRefundCreated,
                                      events::kPaymentRefunded, events::kRefundCreated};

}  // namespace

void RelayTest::SetUp() {
  ASSERT_TRUE(db_.Migrate());
  conn_ = db_.Connect();
  ASSERT_TRUE(conn_);
  InsertMerchant(*conn_, kRelayMerchant);
}

events::RelayOptions RelayTest::Options(const MockKafka& kafka) const {
  events::RelayOptions o;
  o.database.conninfo = db_.conninfo();
  o.brokers = kafka.bootstraps();
  o.topic = kRelayTopic;
  o.batch_size = 50;
  o.idle_poll = 10ms;
  o.standby_poll = 50ms;
  o.stats_interval = 100ms;
  o.stop_timeout = 2s;
  o.retry_max = 200ms;
  // Reconnect quickly once a broker is back, so the test does not wait
  // out librdkafka's default backoff of up to 10 s.
  o.kafka_settings = {{"reconnect.backoff.max.ms", "200", "test"},
                      {"retry.backoff.ms", "20", "test"}};
  return o;
}

std::unique_ptr<events::OutboxRelay> RelayTest::MakeRelay(events::RelayOptions options) {
  auto relay = events::OutboxRelay::Create(std::move(options));
  EXPECT_TRUE(relay) << relay.error().message;
  return relay ? std::move(*relay) : nullptr;
}

std::string RelayTest::PaymentId(int n) { return fmt::format("pay_01jd8k3m6w9q4r2t7v5x{:06d}", n); }

void RelayTest::InsertEvents(int payments, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    for (int p = 0; p < payments; ++p) Insert(*conn_, p);
  }
}

void RelayTest::Insert(db::Connection& conn, int p) {
  const std::string subject = PaymentId(p);
  std::vector<std::string>& ids = expected_[subject];
  const events::Event e =
      SampleEvent(kLife[ids.size() % std::size(kLife)], kRelayMerchant, subject);
  EXPECT_EQ(SchemaViolations(e.payload), std::vector<std::string>{}) << e.payload;
  ASSERT_TRUE(store::InsertEvent(conn, e));
  ids.push_back(e.id);
  ++inserted_;
}

int64_t RelayTest::Unpublished() {
  return std::stoll(QueryValue(*conn_, "SELECT count(*) FROM events WHERE published_at IS NULL"));
}

std::set<std::string> RelayTest::StillUnpublished(const std::set<std::string>& ids) {
  std::string array = "{";
  for (const std::string& id : ids) array += (array.size() > 1 ? "," : "") + id;
  array += "}";
  auto rows =
      conn_->Exec("SELECT id FROM events WHERE published_at IS NULL AND id = ANY($1::text[])",
                  db::Params().Add(array));
  EXPECT_TRUE(rows);
  std::set<std::string> out;
  for (int r = 0; rows && r < rows->size(); ++r) out.insert(rows->String(r, 0));
  return out;
}

DeliveryCheck RelayTest::ReadAndCheck(const MockKafka& kafka) {
  TopicReader reader(kafka.bootstraps(), kRelayTopic, kRelayPartitions);
  EXPECT_TRUE(reader.ReadToEnd());
  return CheckDelivery(reader.messages(), expected_);
}

pid_t RelayTest::SpawnRelay(const MockKafka& kafka, const std::string& log_path) {
  std::vector<std::string> args = {PAYMENTS_BINARY, "events",       "relay", "--database-url",
                                   db_.conninfo(),  "--batch-size", "50"};
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!std::string_view(*e).starts_with("PAYMENTS_")) env.push_back(*e);
  }
  env.push_back("PAYMENTS_KAFKA_BROKERS=" + kafka.bootstraps());
  env.push_back(std::string("PAYMENTS_KAFKA_TOPIC=") + kRelayTopic);
  env.push_back("PAYMENTS_KAFKA_RECONNECT_BACKOFF_MAX_MS=200");
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0) << "posix_spawn: " << strerror(rc);
  return pid;
}

std::string RelayTest::ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace payments::testing
