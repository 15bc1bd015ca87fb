// The delivery queue's rules against a real PostgreSQL: routing by
// subscription and endpoint age, a payment's later event never claimed
// before its earlier one, the per-endpoint limit across claimers, leases
// that run out, records only under a held lease, and the circuit breaker.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "events/cloud_event.h"
#include "events/event_types.h"
#include "migrate/embedded.h"
#include "migrate/migrator.h"
#include "store/event_store.h"
#include "store/webhook_store.h"
#include "support/test_database.h"

namespace payments::store {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;
using testing::TestDatabase;

constexpr char kMerchant[] = "mer_01jd8k3m6w9q4r2t7v5x0y1z3a";
constexpr char kOther[] = "mer_01jd8k3m6w9q4r2t7v5x0y1z3b";

class WebhookStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.Migrate());
    conn_ = db_.Connect();
    ASSERT_TRUE(conn_);
    for (const char* m : {kMerchant, kOther}) {
      ASSERT_TRUE(
          conn_->Exec("INSERT INTO merchants (id, name) VALUES ($1, 'shop')", db::Params().Add(m)));
    }
  }

  std::string Endpoint(const std::string& id, const char* merchant,
                       std::vector<std::string> types = {"*"}) {
    WebhookEndpointRow row{.id = id,
                           .merchant_id = merchant,
                           .url = "https://example.com/" + id,
                           .enabled_events = std::move(types),
                           .status = "enabled",
                           .secret_sealed = "v1:sealed"};
    auto r = InsertWebhookEndpoint(*conn_, row, std::nullopt, "", 16);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return id;
  }

  std::string Event(std::string_view type, const char* merchant, const std::string& subject) {
    events::Event e = events::MakeEvent(type, merchant, subject, {{"x", 1}});
    EXPECT_TRUE(InsertEvent(*conn_, e));
    return e.id;
  }

  RouteResult Route() {
    EXPECT_TRUE(conn_->Exec("BEGIN"));
    auto locked = TryRouterLock(*conn_);
    EXPECT_TRUE(locked && *locked);
    auto r = RouteEvents(*conn_, 500);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    EXPECT_TRUE(conn_->Exec("COMMIT"));
    return r.value_or(RouteResult{});
  }

  std::vector<ClaimedDelivery> Claim(const std::string& owner, int max = 16, int per_endpoint = 4,
                                     milliseconds lease = milliseconds(60000),
                                     int per_merchant = 100) {
    EXPECT_TRUE(conn_->Exec("BEGIN"));  // the endpoints stay locked for the claim
    auto r = ClaimDeliveries(*conn_, {.owner = owner,
                                      .max = max,
                                      .per_endpoint = per_endpoint,
                                      .per_merchant = per_merchant,
                                      .breaker_threshold = 3,
                                      .lease = lease});
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    EXPECT_TRUE(conn_->Exec("COMMIT"));
    return r.value_or(std::vector<ClaimedDelivery>{});
  }

  bool Record(const ClaimedDelivery& d, const std::string& owner, DeliveryOutcome outcome,
              milliseconds retry_in = milliseconds(0)) {
    auto r =
        RecordAttempt(*conn_, {.delivery_id = d.id,
                               .owner = owner,
                               .endpoint_id = d.endpoint_id,
                               .event_id = d.event_id,
                               .status_code = outcome == DeliveryOutcome::kSucceeded ? 200 : 500,
                               .latency_ms = 5,
                               .error = outcome == DeliveryOutcome::kSucceeded ? "" : "500",
                               .outcome = outcome,
                               .retry_in = retry_in,
                               .breaker_threshold = 3,
                               .breaker_base = milliseconds(60000),
                               .started_ms = 1});
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r.value_or(false);
  }

  TestDatabase db_;
  std::unique_ptr<db::Connection> conn_;
};

TEST_F(WebhookStoreTest, RoutesBySubscriptionMerchantAndEndpointAge) {
  const std::string before =
      Event(events::kPaymentCreated, kMerchant, "pay_a");  // before any endpoint
  Endpoint("we_all", kMerchant);
  Endpoint("we_captured", kMerchant, {"payment.captured"});
  Endpoint("we_other", kOther);
  Event(events::kPaymentCreated, kMerchant, "pay_b");
  Event(events::kPaymentCaptured, kMerchant, "pay_b");
  Event(events::kPaymentCreated, kOther, "pay_c");
  const RouteResult r = Route();
  EXPECT_EQ(r.events, 4);
  EXPECT_EQ(r.deliveries, 4);  // all: 2, captured: 1, other: 1; the old event: none
  EXPECT_EQ(Route().events, 0);
  auto rows = conn_->Exec(
      "SELECT endpoint_id || ':' || event_type FROM webhook_deliveries ORDER BY endpoint_id, "
      "event_seq");
  ASSERT_TRUE(rows);
  std::vector<std::string> got;
  for (int i = 0; i < rows->size(); ++i) got.push_back(rows->String(i, 0));
  EXPECT_EQ(got,
            (std::vector<std::string>{"we_all:payment.created", "we_all:payment.captured",
                                      "we_captured:payment.captured", "we_other:payment.created"}));
  (void)before;
}

TEST_F(WebhookStoreTest, APaymentsLaterEventWaitsForItsEarlierOne) {
  Endpoint("we_all", kMerchant);
  Event(events::kPaymentCreated, kMerchant, "pay_a");
  Event(events::kPaymentCaptured, kMerchant, "pay_a");
  Event(events::kPaymentCreated, kMerchant, "pay_b");
  Route();
  auto first = Claim("i1");
  ASSERT_EQ(first.size(), 2u);  // pay_a's first and pay_b's; not pay_a's second
  EXPECT_EQ(first[0].subject, "pay_a");
  EXPECT_EQ(first[0].event_type, "payment.created");
  EXPECT_EQ(first[1].subject, "pay_b");
  EXPECT_TRUE(first[0].payload.has_value());
  EXPECT_EQ(Claim("i2").size(), 0u);  // in flight: the later one still waits
  // A retry keeps it waiting; a give-up lets it go.
  ASSERT_TRUE(Record(first[0], "i1", DeliveryOutcome::kRetry, milliseconds(3600000)));
  EXPECT_EQ(Claim("i2").size(), 0u);
  ASSERT_TRUE(
      conn_->Exec("UPDATE webhook_deliveries SET next_attempt_at = now() WHERE state = "
                  "'pending' AND event_type = 'payment.created' AND subject = 'pay_a'"));
  auto again = Claim("i2");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempts, 2);
  ASSERT_TRUE(Record(again[0], "i2", DeliveryOutcome::kGiveUp));
  auto next = Claim("i2");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].event_type, "payment.captured");
}

TEST_F(WebhookStoreTest, ThePerEndpointLimitHoldsAcrossClaimersAndLeasesRunOut) {
  Endpoint("we_all", kMerchant);
  for (int i = 0; i < 10; ++i)
    Event(events::kPaymentCreated, kMerchant, "pay_" + std::to_string(i));
  Route();
  auto a = Claim("i1", 16, 3);
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(Claim("i2", 16, 3).size(), 0u);
  // i1 stalls: its leases run out (moved into the past here, rather than
  // waited for) and i2 takes the deliveries over; i1's late records are
  // refused.
  ASSERT_TRUE(
      conn_->Exec("UPDATE webhook_deliveries SET lease_expires_at = now() - "
                  "interval '1 second' WHERE lease_owner = 'i1'"));
  auto b = Claim("i2", 16, 3);
  ASSERT_EQ(b.size(), 3u);
  std::set<int64_t> ids;
  for (const auto& d : a) ids.insert(d.id);
  for (const auto& d : b) EXPECT_TRUE(ids.contains(d.id));
  EXPECT_FALSE(Record(a[0], "i1", DeliveryOutcome::kSucceeded));
  EXPECT_TRUE(Record(b[0], "i2", DeliveryOutcome::kSucceeded));
  auto attempts = ListWebhookAttempts(*conn_, "we_all", std::nullopt, 10);
  ASSERT_TRUE(attempts);
  EXPECT_EQ(attempts->attempts.size(), 1u);
}

// A merchant's endpoints together get at most per_merchant in flight: one
// merchant with many slow endpoints cannot take every worker.
TEST_F(WebhookStoreTest, AMerchantsEndpointsShareItsLimitAndOthersKeepTheirs) {
  Endpoint("we_a", kMerchant);
  Endpoint("we_b", kMerchant);
  Endpoint("we_c", kOther);
  for (int i = 0; i < 6; ++i) {
    Event(events::kPaymentCreated, kMerchant, "pay_m" + std::to_string(i));
    Event(events::kPaymentCreated, kOther, "pay_o" + std::to_string(i));
  }
  Route();
  auto first = Claim("i1", 16, 4, milliseconds(60000), 5);
  std::map<std::string, int> by_endpoint;
  for (const auto& d : first) ++by_endpoint[d.endpoint_id];
  EXPECT_EQ(by_endpoint["we_a"] + by_endpoint["we_b"], 5);
  EXPECT_EQ(by_endpoint["we_c"], 4);  // its own endpoint's limit, not the other merchant's
  EXPECT_LE(by_endpoint["we_a"], 4);
  // At its limit, the merchant gets nothing more until one ends.
  auto second = Claim("i2", 16, 4, milliseconds(60000), 5);
  for (const auto& d : second) EXPECT_EQ(d.endpoint_id, "we_c");
}

// A stopping instance gives back what it claimed and never started: at once
// claimable again, and no attempt counted for it.
TEST_F(WebhookStoreTest, ReleasedClaimsAreClaimableAtOnceWithTheirAttemptUncounted) {
  Endpoint("we_all", kMerchant);
  Event(events::kPaymentCreated, kMerchant, "pay_a");
  Route();
  auto claimed = Claim("i1");
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].attempts, 1);
  ASSERT_TRUE(ReleaseClaims(*conn_, "i2", {claimed[0].id}));  // not its claim: nothing
  EXPECT_EQ(Claim("i2").size(), 0u);
  ASSERT_TRUE(ReleaseClaims(*conn_, "i1", {claimed[0].id}));
  auto again = Claim("i2");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, claimed[0].id);
  EXPECT_EQ(again[0].attempts, 1);
  EXPECT_FALSE(Record(claimed[0], "i1", DeliveryOutcome::kSucceeded));  // no longer i1's
}

TEST_F(WebhookStoreTest, FailuresInARowOpenTheCircuitAndASuccessClosesIt) {
  Endpoint("we_all", kMerchant);
  for (int i = 0; i < 6; ++i) Event(events::kPaymentCreated, kMerchant, "pay_" + std::to_string(i));
  Route();
  auto claimed = Claim("i1", 16, 4);
  ASSERT_EQ(claimed.size(), 4u);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Record(claimed[i], "i1", DeliveryOutcome::kRetry));
  auto e = FindWebhookEndpoint(*conn_, kMerchant, "we_all");
  ASSERT_TRUE(e && *e);
  EXPECT_EQ((*e)->failure_streak, 3);
  EXPECT_TRUE((*e)->circuit_open_until.has_value());
  EXPECT_EQ(Claim("i2").size(), 0u);  // open: nothing
  // Half open once the circuit's time is up: one at a time.
  ASSERT_TRUE(conn_->Exec("UPDATE webhook_endpoints SET circuit_open_until = now()"));
  ASSERT_TRUE(conn_->Exec("UPDATE webhook_deliveries SET next_attempt_at = now()"));
  ASSERT_TRUE(Record(claimed[3], "i1", DeliveryOutcome::kSucceeded));  // closes it
  e = FindWebhookEndpoint(*conn_, kMerchant, "we_all");
  EXPECT_EQ((*e)->failure_streak, 0);
  EXPECT_FALSE((*e)->circuit_open_until.has_value());
  EXPECT_EQ(Claim("i2").size(), 4u);
}

TEST_F(WebhookStoreTest, ResendAndPurge) {
  Endpoint("we_all", kMerchant);
  Endpoint("we_theirs", kOther);
  const std::string id = Event(events::kPaymentCreated, kMerchant, "pay_a");
  Route();
  auto made = ResendEvent(*conn_, kMerchant, id, std::nullopt);
  ASSERT_TRUE(made && *made);
  EXPECT_EQ(**made, 1);
  made = ResendEvent(*conn_, kOther, id, std::nullopt);  // not theirs
  ASSERT_TRUE(made);
  EXPECT_FALSE(made->has_value());
  made = ResendEvent(*conn_, kMerchant, id, std::string("we_theirs"));  // not its endpoint
  ASSERT_TRUE(made && *made);
  EXPECT_EQ(**made, 0);
  for (const auto& d : Claim("i1")) ASSERT_TRUE(Record(d, "i1", DeliveryOutcome::kSucceeded));
  auto purged = PurgeWebhookDeliveries(*conn_, system_clock::now() + std::chrono::hours(1), 1000);
  ASSERT_TRUE(purged);
  EXPECT_GE(*purged, 1);
  auto rows = conn_->Exec("SELECT count(*) FROM webhook_attempts");
  EXPECT_EQ(rows->String(0, 0), "0");
}

// Migration 0011 on a database with events: they read as routed without the
// table being rewritten, and rows written afterwards (by either release)
// are routed.
TEST(WebhookMigrationTest, EventsFromBeforeTheMigrationAreNotRouted) {
  TestDatabase db;
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  auto migrations = migrate::LoadEmbeddedMigrations();
  ASSERT_TRUE(migrations);
  {
    migrate::Migrator m(*conn, *migrations, {});
    ASSERT_TRUE(m.Up({.to = 10}));
  }
  ASSERT_TRUE(conn->Exec("INSERT INTO merchants (id, name) VALUES ($1, 'shop')",
                         db::Params().Add(kMerchant)));
  ASSERT_TRUE(InsertEvent(
      *conn, events::MakeEvent(events::kPaymentCreated, kMerchant, "pay_old", {{"x", 1}})));
  {
    migrate::Migrator m(*conn, *migrations, {});
    ASSERT_TRUE(m.Up({}));
  }
  ASSERT_TRUE(InsertEvent(
      *conn, events::MakeEvent(events::kPaymentCreated, kMerchant, "pay_new", {{"x", 1}})));
  auto rows = conn->Exec("SELECT subject, webhooks_routed_at IS NULL FROM events ORDER BY seq");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2);
  EXPECT_FALSE(rows->Bool(0, 1));  // pay_old: routed long ago
  EXPECT_TRUE(rows->Bool(1, 1));   // pay_new: for the router
}

}  // namespace
}  // namespace payments::store
