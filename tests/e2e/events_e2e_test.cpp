// Events end to end: `payments serve` with its outbox relay publishing to a
// Kafka protocol peer (librdkafka's mock cluster), read back by a real
// consumer. Every committed change arrives once (after de-duplication by
// event id), in order per payment, valid against its schema — across a
// SIGKILL of the service in the middle of the stream.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>

#include "support/kafka_mock.h"
#include "support/sample_events.h"
#include "support/service_fixture.h"

namespace payments::testing {
namespace {

constexpr const char* kTopic = "payments.events";

// The events in the outbox, per subject, in commit (seq) order.
std::map<std::string, std::vector<std::string>> Outbox(db::Connection& conn) {
  std::map<std::string, std::vector<std::string>> out;
  auto rows = conn.Exec("SELECT subject, id FROM events ORDER BY seq");
  EXPECT_TRUE(rows);
  for (int r = 0; rows && r < rows->size(); ++r)
    out[rows->String(r, 0)].push_back(rows->String(r, 1));
  return out;
}

TEST(EventsEndToEndTest, EveryCommittedChangeArrivesOnceInOrderAcrossACrash) {
  MockKafka kafka(3, kTopic, 4);
  TestDatabase db;
  ASSERT_TRUE(db.Migrate());
  const TestMerchant m = CreateMerchant(db.conninfo());
  const Env env = {{"PAYMENTS_DATABASE_URL", db.conninfo()},
                   {"PAYMENTS_KAFKA_BROKERS", kafka.bootstraps()},
                   {"PAYMENTS_EVENTS_BATCH_SIZE", "7"}};
  auto service = ServiceProcess::Start(env);
  ASSERT_NE(service, nullptr);
  auto work = [&](HttpClient& c, int round) {
    for (int i = 0; i < 10; ++i) {
      const std::string key = std::to_string(round) + "-" + std::to_string(i);
      auto created = c.Post("/v1/payments", PaymentBody(1000 + i, "usd", "4242424242424242", false),
                            JsonHeaders(m.key, "c-" + key));
      ASSERT_EQ(created.status, 200) << created.body;
      const std::string id = created.Json()["id"];
      ASSERT_EQ(c.Post("/v1/payments/" + id + "/capture", "", JsonHeaders(m.key)).status, 200);
      ASSERT_EQ(
          c.Post("/v1/payments/" + id + "/refunds", R"({"amount":100})", JsonHeaders(m.key)).status,
          200);
    }
    ASSERT_EQ(c.Post("/v1/payments", PaymentBody(5, "usd", "4000000000000002"), JsonHeaders(m.key))
                  .status,
              402);
  };
  {
    HttpClient c(service->public_port());
    work(c, 1);
  }
  // Kill the service while the relay is publishing, then start it again.
  service->Signal(SIGKILL);
  service->Wait(std::chrono::seconds(10));
  service = ServiceProcess::Start(env);
  ASSERT_NE(service, nullptr);
  {
    HttpClient c(service->public_port());
    work(c, 2);
  }
  auto conn = db.Connect();
  ASSERT_TRUE(Eventually(
      [&] {
        return QueryValue(*conn, "SELECT count(*) FROM events WHERE published_at IS NULL") == "0";
      },
      std::chrono::seconds(30)));
  TopicReader reader(kafka.bootstraps(), kTopic, 4);
  ASSERT_TRUE(reader.ReadToEnd());
  const auto expected = Outbox(*conn);
  size_t total = 0;
  for (const auto& [subject, ids] : expected) total += ids.size();
  EXPECT_EQ(total, 20u * 5 + 2 * 2);  // created, authorized, captured, refund.created, refunded
  const DeliveryCheck check = CheckDelivery(reader.messages(), expected);
  EXPECT_TRUE(check.problems.empty()) << check.problems.front();
  for (const ConsumedMessage& msg : reader.messages()) {
    const auto violations = SchemaViolations(msg.value);
    EXPECT_TRUE(violations.empty()) << msg.ce_type << ": " << violations.front();
  }
  // The readiness of the service never depended on Kafka.
  HttpClient admin(service->admin_port());
  EXPECT_EQ(admin.Get("/readyz").status, 200);
  const std::string metrics = admin.Get("/metrics").body;
  EXPECT_NE(metrics.find("payments_events_published_total"), std::string::npos);
}

TEST(EventsEndToEndTest, KafkaDownNeverFailsReadinessAndTheBacklogDrainsWhenItReturns) {
  MockKafka kafka(1, kTopic, 2);
  TestDatabase db;
  ASSERT_TRUE(db.Migrate());
  const TestMerchant m = CreateMerchant(db.conninfo());
  auto service = ServiceProcess::Start(
      {{"PAYMENTS_DATABASE_URL", db.conninfo()}, {"PAYMENTS_KAFKA_BROKERS", kafka.bootstraps()}});
  ASSERT_NE(service, nullptr);
  kafka.SetAllBrokersDown();
  HttpClient c(service->public_port());
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(c.Post("/v1/payments", PaymentBody(100), JsonHeaders(m.key)).status, 200);
  }
  HttpClient admin(service->admin_port());
  EXPECT_EQ(admin.Get("/readyz").status, 200);
  auto conn = db.Connect();
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM events WHERE published_at IS NULL"), "10");
  kafka.SetAllBrokersUp();
  EXPECT_TRUE(Eventually(
      [&] {
        return QueryValue(*conn, "SELECT count(*) FROM events WHERE published_at IS NULL") == "0";
      },
      std::chrono::seconds(30)));
}

TEST(EventsEndToEndTest, BadKafkaSettingsFailTheStartWithOneLine) {
  auto r = RunPayments({"serve"}, {{"PAYMENTS_DATABASE_URL", "host=/nonexistent"},
                                   {"PAYMENTS_FINGERPRINT_KEY", std::string(32, 'k')},
                                   {"PAYMENTS_KAFKA_BROKERS", "127.0.0.1:1"},
                                   {"PAYMENTS_KAFKA_NO_SUCH_SETTING", "1"}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("PAYMENTS_KAFKA_NO_SUCH_SETTING"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace payments::testing
