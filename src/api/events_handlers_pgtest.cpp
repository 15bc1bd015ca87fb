#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/events_handlers.h"
#include "events/cloud_event.h"
#include "events/event_types.h"
#include "store/event_store.h"
#include "support/test_database.h"

namespace payments::api {
namespace {

using nlohmann::json;
using testing::TestDatabase;

constexpr char kMerchantA[] = "mer_01jd8k3m6w9q4r2t7v5x0y1z3a";
constexpr char kMerchantB[] = "mer_01jd8k3m6w9q4r2t7v5x0y1z3b";

// The tests' authentication: a merchant's id is its key.
payments::Result<std::optional<std::string>> KeyIsTheMerchant(const std::string& key) {
  if (key == kMerchantA || key == kMerchantB) return std::optional<std::string>(key);
  return std::optional<std::string>();
}

struct Reply {
  int status = 0;
  json body;
};

class EventsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.Migrate());
    conn_ = db_.Connect();
    ASSERT_TRUE(conn_);
    for (const char* m : {kMerchantA, kMerchantB}) {
      ASSERT_TRUE(
          conn_->Exec("INSERT INTO merchants (id, name) VALUES ($1, 'shop')", db::Params().Add(m)));
    }
    pool_ = std::make_unique<db::Pool>(db::PoolOptions{.connect = {.conninfo = db_.conninfo()}});
    RegisterEventRoutes(api_, *pool_);
  }

  // Inserts an event `seconds` after a fixed instant, so the order is known.
  events::Event Insert(const char* merchant, std::string_view type, int seconds) {
    const auto at =
        std::chrono::system_clock::time_point(std::chrono::seconds(1764000000 + seconds));
    events::Event e =
        events::MakeEvent(type, merchant, "pay_01jd8k3m6w9q4r2t7v5x0y1z3c", {{"n", seconds}}, at);
    EXPECT_TRUE(store::InsertEvent(*conn_, e));
    return e;
  }

  Reply Get(const char* merchant, const std::string& target) {
    http::Request req;
    req.method = "GET";
    req.target = target;
    const size_t q = target.find('?');
    req.path = target.substr(0, q);
    req.query = q == std::string::npos ? "" : target.substr(q + 1);
    req.headers.emplace_back("authorization", fmt::format("Bearer {}", merchant));
    http::Response resp = api_.Handle(req);
    EXPECT_EQ(resp.content_type, "application/json");
    return {resp.status, json::parse(resp.body)};
  }

  static std::vector<std::string> Ids(const json& list) {
    std::vector<std::string> ids;
    for (const json& e : list["data"]) ids.push_back(e["id"]);
    return ids;
  }

  TestDatabase db_;
  std::unique_ptr<db::Connection> conn_;
  std::unique_ptr<db::Pool> pool_;
  PublicApi api_{KeyIsTheMerchant};
};

TEST_F(EventsApiTest, ListsTheMerchantsEventsNewestFirstPageByPage) {
  std::vector<std::string> expected;
  for (int i = 0; i < 25; ++i) {
    expected.insert(expected.begin(), Insert(kMerchantA, events::kPaymentCaptured, i).id);
    if (i % 8 == 0) Insert(kMerchantB, events::kPaymentCaptured, i);
  }
  std::vector<std::string> seen;
  std::string target = "/v1/events?limit=10";
  for (int page = 0; page < 3; ++page) {
    const Reply r = Get(kMerchantA, target);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body["object"], "list");
    EXPECT_EQ(r.body["url"], "/v1/events");
    EXPECT_EQ(r.body["has_more"], page < 2);
    for (const std::string& id : Ids(r.body)) seen.push_back(id);
    target = "/v1/events?limit=10&starting_after=" + seen.back();
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(Get(kMerchantA, "/v1/events").body["data"].size(), 10u);  // the default
  EXPECT_EQ(Get(kMerchantA, "/v1/events?limit=100").body["data"].size(), 25u);
  EXPECT_EQ(Get(kMerchantB, "/v1/events?limit=100").body["data"].size(), 4u);
}

TEST_F(EventsApiTest, EventsWrittenAtTheSameInstantListInReverseOfWritingPageByPage) {
  // One transaction stamps its events with one clock reading.
  const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(1764000000));
  std::vector<std::string> written;
  for (std::string_view type :
       {events::kPaymentCreated, events::kPaymentCaptured, events::kRefundCreated}) {
    events::Event e =
        events::MakeEvent(type, kMerchantA, "pay_01jd8k3m6w9q4r2t7v5x0y1z3c", {{"n", 1}}, at);
    ASSERT_TRUE(store::InsertEvent(*conn_, e));
    written.insert(written.begin(), e.id);
  }
  std::vector<std::string> seen;
  std::string target = "/v1/events?limit=1";
  for (int page = 0; page < 3; ++page) {
    const Reply r = Get(kMerchantA, target);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body["has_more"], page < 2);
    seen.push_back(Ids(r.body).at(0));
    target = "/v1/events?limit=1&starting_after=" + seen.back();
  }
  EXPECT_EQ(seen, written);
}

TEST_F(EventsApiTest, EachItemIsTheStoredCloudEvent) {
  const events::Event e = Insert(kMerchantA, events::kRefundCreated, 1);
  const Reply list = Get(kMerchantA, "/v1/events");
  ASSERT_EQ(list.body["data"].size(), 1u);
  EXPECT_EQ(list.body["data"][0], json::parse(e.payload));
  const Reply one = Get(kMerchantA, "/v1/events/" + e.id);
  EXPECT_EQ(one.status, 200);
  EXPECT_EQ(one.body, json::parse(e.payload));
  EXPECT_EQ(one.body["specversion"], "1.0");
  EXPECT_EQ(one.body["type"], "refund.created");
}

TEST_F(EventsApiTest, FiltersByTypeOrFamily) {
  Insert(kMerchantA, events::kPaymentCreated, 1);
  const std::string refund = Insert(kMerchantA, events::kRefundCreated, 2).id;
  Insert(kMerchantA, events::kPaymentRefunded, 3);
  EXPECT_EQ(Ids(Get(kMerchantA, "/v1/events?type=refund.created").body),
            std::vector<std::string>{refund});
  EXPECT_EQ(Get(kMerchantA, "/v1/events?type=payment.*").body["data"].size(), 2u);
  EXPECT_EQ(Get(kMerchantA, "/v1/events?type=payment.nope").body["data"].size(), 0u);
  const Reply bad = Get(kMerchantA, "/v1/events?type=*");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"]["param"], "type");
}

TEST_F(EventsApiTest, AnotherMerchantsEventIsNotFound) {
  const events::Event theirs = Insert(kMerchantB, events::kPaymentCaptured, 1);
  for (const std::string& id :
       {theirs.id, std::string("evt_01jd8k3m6w9q4r2t7v5x0y1z3z"), std::string("evt_nope"),
        std::string("pay_01jd8k3m6w9q4r2t7v5x0y1z3z")}) {
    const Reply r = Get(kMerchantA, "/v1/events/" + id);
    EXPECT_EQ(r.status, 404) << id;
    EXPECT_EQ(r.body["error"]["type"], "invalid_request_error");
    EXPECT_EQ(r.body["error"]["code"], "resource_missing");
  }
  EXPECT_EQ(Get(kMerchantB, "/v1/events/" + theirs.id).status, 200);
  // Nor does it work as a cursor.
  const Reply r = Get(kMerchantA, "/v1/events?starting_after=" + theirs.id);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["code"], "resource_missing");
  EXPECT_EQ(r.body["error"]["param"], "starting_after");
}

TEST_F(EventsApiTest, BadParametersAre400sNamingTheParameter) {
  for (const char* limit : {"0", "101", "abc", "-1", "", "1.5"}) {
    const Reply r = Get(kMerchantA, std::string("/v1/events?limit=") + limit);
    EXPECT_EQ(r.status, 400) << limit;
    EXPECT_EQ(r.body["error"]["type"], "invalid_request_error");
    EXPECT_EQ(r.body["error"]["code"], "parameter_invalid_integer");
    EXPECT_EQ(r.body["error"]["param"], "limit");
  }
  Reply r = Get(kMerchantA, "/v1/events?colour=red");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["code"], "parameter_unknown");
  EXPECT_EQ(r.body["error"]["param"], "colour");
  r = Get(kMerchantA, "/v1/events?starting_after=evt_x");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["param"], "starting_after");
  r = Get(kMerchantA, "/v1/events?limit=5&limit=6");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["param"], "limit");
  r = Get(kMerchantA, "/v1/events?type=%zz");
  EXPECT_EQ(r.status, 400);
  // Escapes are decoded: %2A is "*".
  Insert(kMerchantA, events::kPaymentCreated, 1);
  EXPECT_EQ(Get(kMerchantA, "/v1/events?type=payment.%2A&limit=%31").body["data"].size(), 1u);
}

TEST_F(EventsApiTest, AnUnreachableDatabaseIsA503NotACrash) {
  db::Pool dead({.connect = {.conninfo = db_.conninfo() + "_missing"}});
  PublicApi api(KeyIsTheMerchant);
  RegisterEventRoutes(api, dead);
  http::Request req;
  req.method = "GET";
  req.path = "/v1/events";
  req.headers.emplace_back("authorization", fmt::format("Bearer {}", kMerchantA));
  const http::Response resp = api.Handle(req);
  EXPECT_EQ(resp.status, 503);
  EXPECT_EQ(json::parse(resp.body)["error"]["type"], "api_error");
}

}  // namespace
}  // namespace payments::api
