// The events the payment service really writes, through every state change:
// each validates against its schema, the events API lists them newest first,
// and the relay publishes them in order per payment.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/events_handlers.h"
#include "core/money.h"
#include "events/outbox_relay.h"
#include "processors/sandbox_processor.h"
#include "service/merchant_service.h"
#include "service/payment_service.h"
#include "support/kafka_mock.h"
#include "support/matchers.h"
#include "support/sample_events.h"
#include "support/test_database.h"

namespace payments::events {
namespace {

using payments::testing::IsOk;

using namespace std::chrono_literals;
using nlohmann::json;
using Strings = std::vector<std::string>;

constexpr char kTopic[] = "payments.events";
constexpr int kPartitions = 4;

class ServiceEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.Migrate());
    conn_ = db_.Connect();
    ASSERT_TRUE(conn_);
    auto merchant = service::CreateMerchant(*conn_, "events shop");
    ASSERT_THAT(merchant, IsOk());
    merchant_ = merchant->id;
    pool_ = std::make_unique<db::Pool>(db::PoolOptions{.connect = {.conninfo = db_.conninfo()}});
    service_ = std::make_unique<service::PaymentService>(
        *pool_, processor_, service::ServiceOptions{.fingerprint_key = "test key"});
  }

  std::string Create(const char* card, bool capture) {
    service::CreatePaymentInput in;
    in.amount = 2000;
    in.currency = FindCurrency("EUR");
    in.card = {.number = card, .exp_month = 12, .exp_year = 2040, .cvc = "123"};
    in.capture = capture;
    in.metadata = {{"order", "17"}};
    auto reply = service_->CreatePayment(merchant_, in, std::nullopt);
    EXPECT_THAT(reply, IsOk());
    const json body = json::parse(reply->body);
    return body.contains("error") ? body["error"]["payment"]["id"] : body["id"];
  }

  // Types of the events of `subject`, in the order they were written.
  Strings TypesOf(const std::string& subject) {
    auto rows = conn_->Exec("SELECT type FROM events WHERE subject = $1 ORDER BY seq",
                            db::Params().Add(subject));
    Strings out;
    for (int r = 0; rows && r < rows->size(); ++r) out.push_back(rows->String(r, 0));
    return out;
  }

  testing::TestDatabase db_;
  std::unique_ptr<db::Connection> conn_;
  std::string merchant_;
  std::unique_ptr<db::Pool> pool_;
  processors::SandboxProcessor processor_{processors::SandboxOptions{}};
  std::unique_ptr<service::PaymentService> service_;
};

TEST_F(ServiceEventsTest, EveryStateChangeWritesASchemaValidEventPublishedInOrder) {
  const std::string captured = Create("4242424242424242", true);
  const std::string authorized = Create("4242424242424242", false);
  ASSERT_TRUE(service_->CapturePayment(merchant_, authorized, 1500, std::nullopt));
  const std::string canceled = Create("5555555555554444", false);
  ASSERT_TRUE(service_->CancelPayment(merchant_, canceled, std::nullopt));
  ASSERT_TRUE(service_->RefundPayment(
      merchant_, captured,
      service::RefundInput{.amount = 500, .reason = std::nullopt, .metadata = {}}, std::nullopt));
  ASSERT_TRUE(service_->RefundPayment(merchant_, captured, service::RefundInput{}, std::nullopt));
  const std::string declined = Create("4000000000000002", true);

  EXPECT_EQ(TypesOf(captured), (Strings{"payment.created", "payment.captured", "refund.created",
                                        "payment.refunded", "refund.created", "payment.refunded"}));
  EXPECT_EQ(TypesOf(authorized),
            (Strings{"payment.created", "payment.authorized", "payment.captured"}));
  EXPECT_EQ(TypesOf(canceled),
            (Strings{"payment.created", "payment.authorized", "payment.canceled"}));
  EXPECT_EQ(TypesOf(declined), (Strings{"payment.created", "payment.failed"}));

  // Every event the service wrote matches the schema it names.
  std::map<std::string, Strings> expected;
  auto rows = conn_->Exec("SELECT subject, id, payload FROM events ORDER BY seq");
  ASSERT_TRUE(rows);
  for (int r = 0; r < rows->size(); ++r) {
    EXPECT_EQ(testing::SchemaViolations(rows->String(r, 2)), Strings{}) << rows->String(r, 2);
    expected[rows->String(r, 0)].push_back(rows->String(r, 1));
  }

  // The events API lists them newest first: what one transaction wrote
  // together comes out in reverse of the order it was written.
  api::PublicApi public_api([this](const std::string& key) {
    return payments::Result<std::optional<std::string>>(
        key == "merchant-key" ? std::optional<std::string>(merchant_) : std::nullopt);
  });
  api::RegisterEventRoutes(public_api, *pool_);
  http::Request req;
  req.method = "GET";
  req.path = "/v1/events";
  req.query = "limit=100";
  req.headers.emplace_back("authorization", "Bearer merchant-key");
  const json list = json::parse(public_api.Handle(req).body);
  Strings newest_first;
  for (const json& e : list["data"]) {
    if (e["subject"] == declined) newest_first.push_back(e["type"]);
  }
  EXPECT_EQ(newest_first, (Strings{"payment.failed", "payment.created"}));

  // And the relay publishes them, in order per payment.
  testing::MockKafka kafka(3, kTopic, kPartitions);
  RelayOptions options;
  options.database.conninfo = db_.conninfo();
  options.brokers = kafka.bootstraps();
  options.idle_poll = 10ms;
  auto relay = OutboxRelay::Create(options);
  ASSERT_TRUE(relay);
  (*relay)->Start();
  ASSERT_TRUE(testing::WaitUntil([&] {
    return testing::QueryValue(*conn_, "SELECT count(*) FROM events WHERE published_at IS NULL") ==
           "0";
  }));
  (*relay)->Stop();
  testing::TopicReader reader(kafka.bootstraps(), kTopic, kPartitions);
  ASSERT_TRUE(reader.ReadToEnd());
  const testing::DeliveryCheck check = testing::CheckDelivery(reader.messages(), expected);
  EXPECT_EQ(check.problems, Strings{});
  EXPECT_EQ(check.duplicates, 0);
}

}  // namespace
}  // namespace payments::events
