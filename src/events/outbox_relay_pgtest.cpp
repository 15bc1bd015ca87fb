// The relay against a real PostgreSQL and librdkafka's mock cluster, read
// back by a real consumer: what arrives, in which order, under faults.
#include <gtest/gtest.h>

#include <set>

#include "events/event_types.h"
#include "events/outbox_relay.h"
#include "store/event_store.h"
#include "support/kafka_mock.h"
#include "support/relay_fixture.h"
#include "support/sample_events.h"

namespace payments::testing {
namespace {

using namespace std::chrono_literals;
using events::OutboxRelay;
using events::RelayOptions;

TEST_F(RelayTest, PublishesEveryCommittedEventExactlyOnceInOrderPerPayment) {
  MockKafka kafka(3, kRelayTopic, kRelayPartitions);
  InsertEvents(10, 6);
  auto relay = MakeRelay(Options(kafka));
  relay->Start();
  InsertEvents(10, 6);  // while it runs
  ASSERT_TRUE(WaitUntil([&] { return AllPublished(); }));
  ASSERT_TRUE(WaitUntil([&] { return relay->Metrics().backlog == 0; }));
  const events::RelayMetrics m = relay->Metrics();
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
  MockKafka kafka(3, kRelayTopic, kRelayPartitions);
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
    rd_kafka_mock_push_request_errors_array(kafka.cluster(), kProduceApiKey, std::size(errors),
                                            errors);
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
  MockKafka kafka(1, kRelayTopic, kRelayPartitions);
  // Errors librdkafka does not retry fail their messages (counted, left
  // unpublished, sent again); a sequence desynchronisation is fatal to the
  // idempotent producer, which the relay replaces.
  rd_kafka_mock_push_request_errors(
      kafka.cluster(), kProduceApiKey, 4, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_RECORD,
      RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
  InsertEvents(6, 8);
  auto relay = MakeRelay(Options(kafka));
  relay->Start();
  ASSERT_TRUE(WaitUntil([&] { return AllPublished(); }));
  relay->Stop();
  const events::RelayMetrics m = relay->Metrics();
  EXPECT_GT(m.failed_total, 0);
  EXPECT_GE(m.producers_created_total, 2);
  EXPECT_EQ(m.activations_total, 1);
  const DeliveryCheck check = ReadAndCheck(kafka);
  EXPECT_EQ(check.problems, std::vector<std::string>{});
}

TEST_F(RelayTest, WhileBrokersAreDownTheBacklogGrowsAndDrainsWhenTheyReturn) {
  MockKafka kafka(3, kRelayTopic, kRelayPartitions);
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
  MockKafka kafka(3, kRelayTopic, kRelayPartitions);
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

TEST_F(RelayTest, ALateCommitWithALowerSeqIsStillPublished) {
  MockKafka kafka(1, kRelayTopic, kRelayPartitions);
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
  MockKafka kafka(1, kRelayTopic, kRelayPartitions);
  kafka.SetAllBrokersDown();  // nothing can be published
  const auto old = std::chrono::system_clock::now() - std::chrono::hours(24 * 40);
  std::vector<std::string> old_unpublished;
  for (int i = 0; i < 3; ++i) {
    const events::Event a =
        testing::SampleEvent(events::kPaymentCreated, kRelayMerchant, PaymentId(100 + i), old);
    const events::Event b =
        testing::SampleEvent(events::kPaymentCreated, kRelayMerchant, PaymentId(200 + i), old);
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
        *conn_, testing::SampleEvent(events::kPaymentCreated, kRelayMerchant, PaymentId(i), old)));
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

TEST_F(RelayTest, CreateRejectsSettingsItCannotHonour) {
  MockKafka kafka(1, kRelayTopic, kRelayPartitions);
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
}  // namespace payments::testing
