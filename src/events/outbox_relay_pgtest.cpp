// The relay against a real PostgreSQL and librdkafka's mock cluster, read
// back by a real consumer: what arrives, in which order, under faults.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "events/event_types.h"
#include "events/outbox_relay.h"
#include "store/event_store.h"
#include "support/kafka_mock.h"
#include "support/sample_events.h"
#include "support/test_database.h"

extern char** environ;

namespace payments::events {
namespace {

using namespace std::chrono_literals;
using testing::CheckDelivery;
using testing::DeliveryCheck;
using testing::MockKafka;
using testing::QueryValue;
using testing::TestDatabase;
using testing::TopicReader;
using testing::WaitUntil;

constexpr char kTopic[] = "payments.events";
constexpr int kPartitions = 4;
constexpr char kMerchant[] = "mer_01jd8k3m6w9q4r2t7v5x0y1z3a";

// A payment's life, cycled through.
constexpr std::string_view kLife[] = {kPaymentCreated, kPaymentCaptured, kPaymentRefunded,
                                      kRefundCreated,  kPaymentRefunded, kRefundCreated};

class RelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.Migrate());
    conn_ = db_.Connect();
    ASSERT_TRUE(conn_);
    testing::InsertMerchant(*conn_, kMerchant);
  }

  RelayOptions Options(const MockKafka& kafka) const {
    RelayOptions o;
    o.database.conninfo = db_.conninfo();
    o.brokers = kafka.bootstraps();
    o.topic = kTopic;
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

  static std::unique_ptr<OutboxRelay> MakeRelay(RelayOptions options) {
    auto relay = OutboxRelay::Create(std::move(options));
    EXPECT_TRUE(relay) << relay.error().message;
    return relay ? std::move(*relay) : nullptr;
  }

  static std::string PaymentId(int n) { return fmt::format("pay_01jd8k3m6w9q4r2t7v5x{:06d}", n); }

  // `rounds` events for each of `payments` payments, interleaved across
  // payments, each insert its own transaction. Every event is checked
  // against its schema.
  void InsertEvents(int payments, int rounds) {
    for (int r = 0; r < rounds; ++r) {
      for (int p = 0; p < payments; ++p) Insert(*conn_, p);
    }
  }

  // The next event of payment `p`, checked against its schema.
  void Insert(db::Connection& conn, int p) {
    const std::string subject = PaymentId(p);
    std::vector<std::string>& ids = expected_[subject];
    const Event e = testing::SampleEvent(kLife[ids.size() % std::size(kLife)], kMerchant, subject);
    EXPECT_EQ(testing::SchemaViolations(e.payload), std::vector<std::string>{}) << e.payload;
    ASSERT_TRUE(store::InsertEvent(conn, e));
    ids.push_back(e.id);
    ++inserted_;
  }

  int64_t Unpublished() {
    return std::stoll(QueryValue(*conn_, "SELECT count(*) FROM events WHERE published_at IS NULL"));
  }

  bool AllPublished() { return Unpublished() == 0; }

  // Reads the whole topic and checks it against what was inserted.
  DeliveryCheck ReadAndCheck(const MockKafka& kafka) {
    TopicReader reader(kafka.bootstraps(), kTopic, kPartitions);
    EXPECT_TRUE(reader.ReadToEnd());
    return CheckDelivery(reader.messages(), expected_);
  }

  // `payments events relay` in a child process, logging to `log_path`.
  pid_t SpawnRelay(const MockKafka& kafka, const std::string& log_path) {
    std::vector<std::string> args = {PAYMENTS_BINARY, "events",       "relay", "--database-url",
                                     db_.conninfo(),  "--batch-size", "50"};
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      if (!std::string_view(*e).starts_with("PAYMENTS_")) env.push_back(*e);
    }
    env.push_back("PAYMENTS_KAFKA_BROKERS=" + kafka.bootstraps());
    env.push_back(std::string("PAYMENTS_KAFKA_TOPIC=") + kTopic);
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

  // Which of `ids` the database still has unpublished.
  std::set<std::string> StillUnpublished(const std::set<std::string>& ids) {
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

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  TestDatabase db_;
  std::unique_ptr<db::Connection> conn_;
  std::map<std::string, std::vector<std::string>> expected_;
  int64_t inserted_ = 0;
};

TEST_F(RelayTest, PublishesEveryCommittedEventExactlyOnceInOrderPerPayment) {
  MockKafka kafka(3, kTopic, kPartitions);
  InsertEvents(10, 6);
  auto relay = MakeRelay(Options(kafka));
  relay->Start();
  InsertEvents(10, 6);  // while it runs
  ASSERT_TRUE(WaitUntil([&] { return AllPublished(); }));
  ASSERT_TRUE(WaitUntil([&] { return relay->Metrics().backlog == 0; }));
  const RelayMetrics m = relay->Metrics();
  EXPECT_TRUE(m.running);
  EXPECT_TRUE(m.active);
  EXPECT_EQ(m.published_total, inserted_);
  EXPECT_EQ(m.failed_total, 0);
  EXPECT_EQ(m.in_flight, 0);
  relay->Stop();
  EXPECT_FALSE(relay->Running());
  const DeliveryCheck check = ReadAndCheck(kafka);
  EXPECT_EQ(check.problems, std::vector<std::string>{});
  EXPECT_EQ(check.duplicates, 0);
}

TEST_F(RelayTest, ProduceErrorsAndDroppedConnectionsLoseNothingAndKeepOrder) {
  MockKafka kafka(3, kTopic, kPartitions);
  // Retriable errors and disconnects (RD_KAFKA_RESP_ERR__TRANSPORT makes the
  // mock broker drop the connection) on the first Produce requests.
  const rd_kafka_resp_err_t errors[] = {
      RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
      RD_KAFKA_RESP_ERR__TRANSPORT,
      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
      RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
      RD_KAFKA_RESP_ERR__TRANSPORT,
      RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
      RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
      RD_KAFKA_RESP_ERR__TRANSPORT,
  };
  for (int i = 0; i < 3; ++i) {
    rd_kafka_mock_push_request_errors_array(kafka.cluster(), testing::kProduceApiKey,
                                            std::size(errors), errors);
  }
  InsertEvents(12, 10);
  auto relay = MakeRelay(Options(kafka));
  relay->Start();
  ASSERT_TRUE(WaitUntil([&] { return AllPublished(); }));
  relay->Stop();
  EXPECT_EQ(relay->Metrics().published_total, inserted_);
  const DeliveryCheck check = ReadAndCheck(kafka);
  EXPECT_EQ(check.problems, std::vector<std::string>{});
  std::cout << "duplicates after produce errors: " << check.duplicates << "\n";
}

TEST_F(RelayTest, PermanentErrorsAndAFatalProducerErrorLoseNothingAndKeepOrder) {
  MockKafka kafka(1, kTopic, kPartitions);
  // Errors librdkafka does not retry fail their messages (counted, left
  // unpublished, sent again); a sequence desynchronisation is fatal to the
  // idempotent producer, which the relay replaces.
  rd_kafka_mock_push_request_errors(
      kafka.cluster(), testing::kProduceApiKey, 4, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_RECORD,
      RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
  InsertEvents(6, 8);
  auto relay = MakeRelay(Options(kafka));
  relay->Start();
  ASSERT_TRUE(WaitUntil([&] { return AllPublished(); }));
  relay->Stop();
  const RelayMetrics m = relay->Metrics();
  EXPECT_GT(m.failed_total, 0);
  EXPECT_GE(m.producers_created_total, 2);
  EXPECT_EQ(m.activations_total, 1);
  const DeliveryCheck check = ReadAndCheck(kafka);
  EXPECT_EQ(check.problems, std::vector<std::string>{});
}

TEST_F(RelayTest, WhileBrokersAreDownTheBacklogGrowsAndDrainsWhenTheyReturn) {
  MockKafka kafka(3, kTopic, kPartitions);
  auto relay = MakeRelay(Options(kafka));
  relay->Start();
  InsertEvents(4, 1);
  ASSERT_TRUE(WaitUntil([&] { return AllPublished(); }));

  kafka.SetAllBrokersDown();
  InsertEvents(8, 5);
  const int64_t waiting = inserted_ - 4;
  // The metrics see the backlog while nothing can be delivered, and no row
  // is marked published without its delivery report.
  ASSERT_TRUE(WaitUntil([&] { return relay->Metrics().backlog == waiting; }));
  EXPECT_EQ(Unpublished(), waiting);
  EXPECT_TRUE(relay->Running());
  EXPECT_GT(relay->Metrics().oldest_unpublished_age_seconds, 0);

  kafka.SetAllBrokersUp();
  ASSERT_TRUE(WaitUntil([&] { return AllPublished(); }));
  ASSERT_TRUE(WaitUntil([&] { return relay->Metrics().backlog == 0; }));
  relay->Stop();
  const DeliveryCheck check = ReadAndCheck(kafka);
  EXPECT_EQ(check.problems, std::vector<std::string>{});
  EXPECT_EQ(relay->Metrics().failed_total, 0);
}

TEST_F(RelayTest, StopAbandonsAnUndeliverableBatchAndItsRowsStayUnpublished) {
  MockKafka kafka(3, kTopic, kPartitions);
  kafka.SetAllBrokersDown();
  InsertEvents(5, 6);
  RelayOptions options = Options(kafka);
  options.stop_timeout = 200ms;
  auto relay = MakeRelay(options);
  relay->Start();
  ASSERT_TRUE(WaitUntil([&] { return relay->Metrics().in_flight > 0; }));
  relay->Stop();  // returns: the batch is abandoned after stop_timeout
  EXPECT_FALSE(relay->Running());
  EXPECT_EQ(Unpublished(), inserted_);
  EXPECT_EQ(relay->Metrics().published_total, 0);

  // The next relay sends them all once Kafka is back.
  kafka.SetAllBrokersUp();
  auto next = MakeRelay(Options(kafka));
  next->Start();
  ASSERT_TRUE(WaitUntil([&] { return AllPublished(); }));
  next->Stop();
  const DeliveryCheck check = ReadAndCheck(kafka);
  EXPECT_EQ(check.problems, std::vector<std::string>{});
  EXPECT_EQ(check.duplicates, 0);
}

TEST_F(RelayTest, ARelayKilledWithSigkillMidBatchLosesNothing) {
  MockKafka kafka(3, kTopic, kPartitions);
  // Kafka appends at once but acknowledges late, which holds each batch open
  // between "in Kafka" and "marked published".
  kafka.DelayProduceResponses(20, 300ms);
  InsertEvents(10, 30);
  const std::string log_path = "/tmp/" + db_.name() + "_relay.log";
  const pid_t child = SpawnRelay(kafka, log_path);
  ASSERT_GT(child, 0);

  // Kill it when Kafka holds an event the database does not know as
  // published: the child is in the middle of a batch.
  TopicReader reader(kafka.bootstraps(), kTopic, kPartitions);
  std::set<std::string> in_kafka;
  const bool mid_batch = WaitUntil([&] {
    reader.Poll(20ms);
    for (const auto& m : reader.messages()) in_kafka.insert(m.ce_id);
    return !in_kafka.empty() && !StillUnpublished(in_kafka).empty();
  });
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(mid_batch) << ReadFile(log_path);
  ASSERT_TRUE(WIFSIGNALED(status));
  const std::set<std::string> unconfirmed = StillUnpublished(in_kafka);
  ASSERT_FALSE(unconfirmed.empty());
  EXPECT_GT(Unpublished(), 0);

  // A new relay (a process again) sends what was not confirmed, and stops
  // cleanly on SIGTERM.
  const pid_t next = SpawnRelay(kafka, log_path);
  ASSERT_TRUE(WaitUntil([&] { return AllPublished(); })) << ReadFile(log_path);
  ASSERT_EQ(kill(next, SIGTERM), 0);
  ASSERT_EQ(waitpid(next, &status, 0), next);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadFile(log_path);
  std::remove(log_path.c_str());

  const DeliveryCheck check = ReadAndCheck(kafka);
  EXPECT_EQ(check.problems, std::vector<std::string>{});
  // At least once: what Kafka had but the killed relay had not marked came again.
  EXPECT_GE(check.duplicates, static_cast<int>(unconfirmed.size()));
}

TEST_F(RelayTest, ALateCommitWithALowerSeqIsStillPublished) {
  MockKafka kafka(1, kTopic, kPartitions);
  auto relay = MakeRelay(Options(kafka));
  relay->Start();
  auto late = db_.Connect();
  ASSERT_TRUE(late->Exec("BEGIN"));
  Insert(*late, 0);  // takes the lowest seq, commits last
  Insert(*conn_, 1);
  Insert(*conn_, 2);
  // The relay publishes what is committed, past the open transaction's seq.
  ASSERT_TRUE(WaitUntil([&] { return relay->Metrics().published_total == 2; }));
  EXPECT_EQ(Unpublished(), 0);
  ASSERT_TRUE(late->Exec("COMMIT"));
  ASSERT_TRUE(WaitUntil([&] { return AllPublished(); }));
  relay->Stop();
  EXPECT_EQ(relay->Metrics().published_total, 3);
  const DeliveryCheck check = ReadAndCheck(kafka);
  EXPECT_EQ(check.problems, std::vector<std::string>{});
  EXPECT_EQ(check.duplicates, 0);
}

TEST_F(RelayTest, RetentionPurgesPublishedEventsAndKeepsUnpublishedOnes) {
  MockKafka kafka(1, kTopic, kPartitions);
  kafka.SetAllBrokersDown();  // nothing can be published
  const auto old = std::chrono::system_clock::now() - std::chrono::hours(24 * 40);
  std::vector<std::string> old_unpublished;
  for (int i = 0; i < 3; ++i) {
    const Event a = testing::SampleEvent(kPaymentCreated, kMerchant, PaymentId(100 + i), old);
    const Event b = testing::SampleEvent(kPaymentCreated, kMerchant, PaymentId(200 + i), old);
    ASSERT_TRUE(store::InsertEvent(*conn_, a));
    ASSERT_TRUE(store::InsertEvent(*conn_, b));
    old_unpublished.push_back(b.id);
  }
  ASSERT_TRUE(conn_->Exec("UPDATE events SET published_at = now() WHERE subject LIKE '%0001__'"));
  InsertEvents(1, 1);  // recent
  RelayOptions options = Options(kafka);
  options.purge_interval = 50ms;
  options.stop_timeout = 50ms;
  auto relay = MakeRelay(options);
  relay->Start();
  ASSERT_TRUE(WaitUntil([&] { return relay->Metrics().purged_total == 3; }));
  relay->Stop();
  EXPECT_EQ(QueryValue(*conn_, "SELECT count(*) FROM events"), "4");
  for (const std::string& id : old_unpublished) {
    EXPECT_EQ(QueryValue(*conn_, "SELECT count(*) FROM events WHERE id = '" + id + "'"), "1");
  }
  EXPECT_EQ(Unpublished(), 4);
}

TEST_F(RelayTest, WithoutKafkaRetentionCoversEveryEvent) {
  const auto old = std::chrono::system_clock::now() - std::chrono::hours(24 * 40);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store::InsertEvent(
        *conn_, testing::SampleEvent(kPaymentCreated, kMerchant, PaymentId(i), old)));
  }
  InsertEvents(1, 1);
  RelayOptions options;
  options.database.conninfo = db_.conninfo();
  options.purge_interval = 50ms;
  options.standby_poll = 20ms;
  auto relay = MakeRelay(options);
  relay->Start();
  ASSERT_TRUE(WaitUntil([&] { return relay->Metrics().purged_total == 3; }));
  EXPECT_FALSE(relay->Metrics().publishing_enabled);
  relay->Stop();
  EXPECT_EQ(QueryValue(*conn_, "SELECT count(*) FROM events"), "1");
}

TEST_F(RelayTest, TwoRelaysPublishNoEventTwiceAndKeepOrder) {
  MockKafka kafka(3, kTopic, kPartitions);
  auto a = MakeRelay(Options(kafka));
  auto b = MakeRelay(Options(kafka));
  a->Start();
  b->Start();
  InsertEvents(10, 8);
  ASSERT_TRUE(WaitUntil([&] { return AllPublished(); }));
  // One of them holds the lock; the other stands by.
  EXPECT_NE(a->Metrics().active, b->Metrics().active);
  EXPECT_EQ(a->Metrics().published_total + b->Metrics().published_total, inserted_);
  OutboxRelay* active = a->Metrics().active ? a.get() : b.get();
  OutboxRelay* standby = active == a.get() ? b.get() : a.get();

  // A graceful stop hands over: the standby takes the lock and carries on.
  active->Stop();
  InsertEvents(10, 4);
  ASSERT_TRUE(WaitUntil([&] { return standby->Metrics().active; }));
  ASSERT_TRUE(WaitUntil([&] { return AllPublished(); }));
  standby->Stop();
  EXPECT_EQ(a->Metrics().published_total + b->Metrics().published_total, inserted_);
  const DeliveryCheck check = ReadAndCheck(kafka);
  EXPECT_EQ(check.problems, std::vector<std::string>{});
  EXPECT_EQ(check.duplicates, 0);
}

TEST_F(RelayTest, WhenTheActiveRelaysSessionDiesAnotherTakesOver) {
  MockKafka kafka(3, kTopic, kPartitions);
  RelayOptions oa = Options(kafka);
  oa.database.application_name = "relay a";
  RelayOptions ob = Options(kafka);
  ob.database.application_name = "relay b";
  auto a = MakeRelay(oa);
  a->Start();
  ASSERT_TRUE(WaitUntil([&] { return a->Metrics().active; }));
  auto b = MakeRelay(ob);
  b->Start();
  InsertEvents(6, 4);
  ASSERT_TRUE(WaitUntil([&] { return AllPublished(); }));
  // Cut relay a's session, as a network partition or a dead pod would.
  EXPECT_EQ(QueryValue(*conn_,
                       "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE application_name = 'relay a'"),
            "1");
  InsertEvents(6, 4);
  ASSERT_TRUE(WaitUntil([&] { return AllPublished(); }));
  EXPECT_GE(a->Metrics().activations_total + b->Metrics().activations_total, 2);
  a->Stop();
  b->Stop();
  const DeliveryCheck check = ReadAndCheck(kafka);
  EXPECT_EQ(check.problems, std::vector<std::string>{});
}

TEST_F(RelayTest, CreateRejectsSettingsItCannotHonour) {
  MockKafka kafka(1, kTopic, kPartitions);
  RelayOptions o = Options(kafka);
  o.kafka_settings = {{"no.such.property", "1", "PAYMENTS_KAFKA_NO_SUCH_PROPERTY"}};
  auto r = OutboxRelay::Create(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidRequest);
  EXPECT_TRUE(r.error().message.starts_with("PAYMENTS_KAFKA_NO_SUCH_PROPERTY: "))
      << r.error().message;

  o.kafka_settings = {{"acks", "1", "PAYMENTS_KAFKA_ACKS"}};
  r = OutboxRelay::Create(o);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().message.starts_with("PAYMENTS_KAFKA_ACKS: the relay sets acks itself"))
      << r.error().message;

  // Valid alone, but not with idempotence: librdkafka says so at creation.
  o.kafka_settings = {{"max.in.flight", "20", "PAYMENTS_KAFKA_MAX_IN_FLIGHT"}};
  r = OutboxRelay::Create(o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("max.in.flight"), std::string::npos) << r.error().message;

  o.kafka_settings = {};
  o.batch_size = 0;
  EXPECT_FALSE(OutboxRelay::Create(o));
}

}  // namespace
}  // namespace payments::events
