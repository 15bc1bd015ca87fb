// Refunds as a resource (GET /v1/refunds/{id}, GET /v1/refunds) and the
// payments list's filters (status, created[gte], created[lt]), end to end:
// the real binary on a real PostgreSQL.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/service_fixture.h"

namespace payments::testing {
namespace {

class RefundsApiTest : public ServiceTest {
 protected:
  std::string Refund(const std::string& payment_id, int64_t amount) {
    auto r = PostAs("/v1/payments/" + payment_id + "/refunds",
                    "{\"amount\":" + std::to_string(amount) + "}");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json()["id"];
  }

  // Every id of a list, page after page of `limit`.
  std::vector<std::string> Walk(const std::string& path, int limit) {
    const char sep = path.find('?') == std::string::npos ? '?' : '&';
    std::vector<std::string> ids;
    std::string cursor;
    while (true) {
      std::string page_path = path + sep + "limit=" + std::to_string(limit);
      if (!cursor.empty()) page_path += "&starting_after=" + cursor;
      auto r = GetAs(page_path);
      EXPECT_EQ(r.status, 200) << page_path << ": " << r.body;
      if (r.status != 200) return ids;
      auto page = r.Json();
      for (const auto& item : page["data"]) ids.push_back(item["id"]);
      if (!page["has_more"].get<bool>() || ids.empty()) return ids;
      cursor = ids.back();
    }
  }
};

TEST_F(RefundsApiTest, ARefundIsReadByItsIdAsTheRefundCallAnsweredIt) {
  const std::string payment = Create(5000).Json()["id"];
  auto created = PostAs("/v1/payments/" + payment + "/refunds",
                        R"({"amount":1200,"reason":"duplicate","metadata":{"ticket":"T-9"}})");
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string id = created.Json()["id"];
  EXPECT_TRUE(id.starts_with("re_"));

  auto got = GetAs("/v1/refunds/" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.Json(), created.Json());
  EXPECT_EQ(got.Json()["object"], "refund");
  EXPECT_EQ(got.Json()["payment"], payment);
  EXPECT_EQ(got.Json()["amount"], 1200);
  EXPECT_EQ(got.Json()["metadata"]["ticket"], "T-9");
}

TEST_F(RefundsApiTest, ListsAllRefundsOrOnePaymentsNewestFirstWithCursorPages) {
  const std::string a = Create(10000).Json()["id"];
  const std::string b = Create(10000).Json()["id"];
  std::vector<std::string> all, of_a;
  for (int i = 1; i <= 4; ++i) {
    all.push_back(Refund(a, 100 * i));
    of_a.push_back(all.back());
    all.push_back(Refund(b, 10 * i));
  }
  std::reverse(all.begin(), all.end());
  std::reverse(of_a.begin(), of_a.end());

  auto first = GetAs("/v1/refunds?limit=3");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.Json()["object"], "list");
  EXPECT_EQ(first.Json()["url"], "/v1/refunds");
  EXPECT_TRUE(first.Json()["has_more"].get<bool>());
  EXPECT_EQ(Walk("/v1/refunds", 3), all);
  EXPECT_EQ(Walk("/v1/refunds?payment=" + a, 3), of_a);
  EXPECT_EQ(Walk("/v1/refunds?payment=" + a, 100), of_a);
  EXPECT_EQ(GetAs("/v1/refunds").Json()["data"].size(), 8u);  // default limit 10
}

TEST_F(RefundsApiTest, AnotherMerchantsRefundIsExactlyAnUnknownOne) {
  const std::string payment = Create(3000).Json()["id"];
  const std::string mine = Refund(payment, 500);
  const TestMerchant other = CreateMerchant(db_.conninfo(), "Other");
  auto as_other = [&](const std::string& path) {
    return client_->Request("GET", path, "", JsonHeaders(other.key));
  };
  auto theirs = as_other("/v1/refunds/" + mine);
  auto unknown = as_other("/v1/refunds/re_01m80000000000000000000000");
  EXPECT_EQ(theirs.status, 404);
  EXPECT_EQ(unknown.status, 404);
  // Exactly as an unknown id: same type, code and param.
  EXPECT_EQ(theirs.Json()["error"]["type"], unknown.Json()["error"]["type"]);
  EXPECT_EQ(theirs.Json()["error"]["code"], unknown.Json()["error"]["code"]);
  EXPECT_EQ(theirs.Json()["error"]["param"], unknown.Json()["error"]["param"]);
  EXPECT_EQ(as_other("/v1/refunds").Json()["data"].size(), 0u);
  // Someone else's payment or refund is no filter and no cursor.
  auto by_payment = as_other("/v1/refunds?payment=" + payment);
  EXPECT_EQ(by_payment.status, 400);
  EXPECT_EQ(by_payment.Json()["error"]["code"], "resource_missing");
  EXPECT_EQ(by_payment.Json()["error"]["param"], "payment");
  auto by_cursor = as_other("/v1/refunds?starting_after=" + mine);
  EXPECT_EQ(by_cursor.status, 400);
  EXPECT_EQ(by_cursor.Json()["error"]["param"], "starting_after");
}

TEST_F(RefundsApiTest, HostileListQueriesAre400NamingTheParameter) {
  struct Case {
    std::string path;
    std::string param;
  };
  for (const Case& c :
       {Case{"/v1/refunds?payment=", "payment"},
        Case{"/v1/refunds?payment=pay%27%20OR%201=1", "payment"},
        Case{"/v1/refunds?payment=" + std::string(100, 'p'), "payment"},
        Case{"/v1/refunds?status=succeeded", "status"}, Case{"/v1/refunds?limit=1000", "limit"},
        Case{"/v1/payments?status=unknown", "status"},
        Case{"/v1/payments?created[gte]=yesterday", "created[gte]"},
        Case{"/v1/payments?created%5Blt%5D=-5", "created[lt]"},
        Case{"/v1/payments?created[lte]=5", "created[lte]"}}) {
    auto r = GetAs(c.path);
    EXPECT_EQ(r.status, 400) << c.path << ": " << r.body;
    EXPECT_EQ(r.Json()["error"]["type"], "invalid_request_error") << c.path;
    EXPECT_EQ(r.Json()["error"]["param"], c.param) << c.path;
  }
  EXPECT_EQ(GetAs("/v1/refunds?payment=pay_a&payment=pay_b").status, 400);
  // A NUL byte is refused by the query parser itself, before any parameter.
  auto nul = GetAs("/v1/payments?status=captured%00");
  EXPECT_EQ(nul.status, 400);
  EXPECT_EQ(nul.Json()["error"]["type"], "invalid_request_error");
  EXPECT_EQ(GetAs("/v1/refunds/re_nope").status, 404);
}

TEST_F(RefundsApiTest, ThePaymentsListFiltersByStatusAndCreationTime) {
  const std::string declined =
      Create(700, "usd", "4000000000000002").Json()["error"]["payment"]["id"];
  const std::string authorized = Create(800, "usd", "4242424242424242", false).Json()["id"];
  std::vector<std::string> captured;
  for (int i = 0; i < 3; ++i) captured.push_back(Create(900 + i).Json()["id"]);
  std::reverse(captured.begin(), captured.end());

  EXPECT_EQ(Walk("/v1/payments?status=failed", 2), std::vector<std::string>{declined});
  EXPECT_EQ(Walk("/v1/payments?status=authorized", 2), std::vector<std::string>{authorized});
  EXPECT_EQ(Walk("/v1/payments?status=captured", 2), captured);
  EXPECT_TRUE(Walk("/v1/payments?status=refunded", 2).empty());

  // Every payment was created within the last minute and none in the future.
  const int64_t created = GetAs("/v1/payments/" + declined).Json()["created"];
  const std::string from = std::to_string(created - 60), to = std::to_string(created + 3600);
  EXPECT_EQ(Walk("/v1/payments?created[gte]=" + from + "&created[lt]=" + to, 2).size(), 5u);
  EXPECT_EQ(Walk("/v1/payments?created%5Bgte%5D=" + to, 2).size(), 0u);
  EXPECT_EQ(Walk("/v1/payments?created[lt]=" + from, 2).size(), 0u);
  EXPECT_EQ(Walk("/v1/payments?status=captured&created[gte]=" + from, 1), captured);
}

}  // namespace
}  // namespace payments::testing
