// The v1 payments API, end to end: the real binary on a real PostgreSQL.
#include <gtest/gtest.h>

#include "support/service_fixture.h"

namespace payments::testing {
namespace {

class PaymentsApiTest : public ServiceTest {
 protected:
  std::string Count(const std::string& sql) {
    auto conn = db_.Connect();
    return QueryValue(*conn, sql);
  }
};

TEST_F(PaymentsApiTest, CreatesACapturedPaymentWithTheDocumentedFields) {
  auto r = client_->Post("/v1/payments",
                         R"({"amount":1099,"currency":"USD","description":"Order 42",)"
                         R"("metadata":{"order":"42"},"payment_method":{"card":)" +
                             std::string(kCardBody) + "}}",
                         JsonHeaders(merchant_.key));
  ASSERT_EQ(r.status, 200) << r.body;
  auto p = r.Json();
  EXPECT_TRUE(p["id"].get<std::string>().starts_with("pay_"));
  EXPECT_EQ(p["object"], "payment");
  EXPECT_EQ(p["amount"], 1099);
  EXPECT_EQ(p["currency"], "usd");
  EXPECT_EQ(p["status"], "captured");
  EXPECT_EQ(p["amount_captured"], 1099);
  EXPECT_EQ(p["amount_refunded"], 0);
  EXPECT_EQ(p["card"]["brand"], "visa");
  EXPECT_EQ(p["card"]["last4"], "4242");
  EXPECT_EQ(p["card"]["exp_month"], 12);
  EXPECT_EQ(p["card"]["exp_year"], 2030);
  EXPECT_EQ(p["card"]["fingerprint"].get<std::string>().size(), 32u);
  EXPECT_TRUE(p["failure_code"].is_null());
  EXPECT_TRUE(p["failure_message"].is_null());
  EXPECT_EQ(p["description"], "Order 42");
  EXPECT_EQ(p["metadata"]["order"], "42");
  EXPECT_GT(p["created"].get<int64_t>(), 1'700'000'000);
  EXPECT_FALSE(r.Header("x-request-id").empty());

  auto got = GetAs("/v1/payments/" + p["id"].get<std::string>());
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.Json(), p);
}

TEST_F(PaymentsApiTest, TheCardNumberNeverReachesTheDatabase) {
  ASSERT_EQ(Create(500).status, 200);
  ASSERT_EQ(Create(500, "usd", "4000000000000002").status, 402);
  // Every text column of every table, and the outbox and idempotency records.
  auto conn = db_.Connect();
  const std::string dump = QueryValue(
      *conn,
      "SELECT string_agg(t::text, ' ') FROM (SELECT p::text AS t FROM payments p UNION ALL "
      "SELECT e::text FROM events e UNION ALL SELECT k::text FROM idempotency_keys k) s");
  EXPECT_FALSE(dump.empty());
  EXPECT_EQ(dump.find("4242424242424242"), std::string::npos);
  EXPECT_EQ(dump.find("4000000000000002"), std::string::npos);
  EXPECT_EQ(dump.find("\"cvc\""), std::string::npos);
}

TEST_F(PaymentsApiTest, AuthorizeThenCaptureInFull) {
  auto created = Create(2000, "usd", "4242424242424242", /*capture=*/false);
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.Json()["status"], "authorized");
  EXPECT_EQ(created.Json()["amount_captured"], 0);
  const std::string id = created.Json()["id"];
  auto captured = PostAs("/v1/payments/" + id + "/capture", "");
  ASSERT_EQ(captured.status, 200) << captured.body;
  EXPECT_EQ(captured.Json()["status"], "captured");
  EXPECT_EQ(captured.Json()["amount_captured"], 2000);
}

TEST_F(PaymentsApiTest, PartialCaptureReleasesTheRest) {
  const std::string id = Create(2000, "usd", "4242424242424242", false).Json()["id"];
  auto captured = PostAs("/v1/payments/" + id + "/capture", R"({"amount":1500})");
  ASSERT_EQ(captured.status, 200) << captured.body;
  EXPECT_EQ(captured.Json()["amount_captured"], 1500);
  EXPECT_EQ(captured.Json()["amount"], 2000);
  // The released 500 cannot be captured or refunded later.
  EXPECT_EQ(PostAs("/v1/payments/" + id + "/capture", "").status, 409);
  auto over = PostAs("/v1/payments/" + id + "/refunds", R"({"amount":1600})");
  EXPECT_EQ(over.status, 400);
  EXPECT_EQ(over.Json()["error"]["param"], "amount");
  auto balance = GetAs("/v1/balance").Json();
  EXPECT_EQ(balance["available"][0]["amount"], 1500);
}

TEST_F(PaymentsApiTest, CaptureMoreThanAuthorizedIsRefused) {
  const std::string id = Create(2000, "usd", "4242424242424242", false).Json()["id"];
  auto r = PostAs("/v1/payments/" + id + "/capture", R"({"amount":2001})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["error"]["code"], "amount_too_large");
  EXPECT_EQ(GetAs("/v1/payments/" + id).Json()["status"], "authorized");
}

TEST_F(PaymentsApiTest, CancelOnlyAnAuthorizedPayment) {
  const std::string authorized = Create(700, "usd", "4242424242424242", false).Json()["id"];
  auto canceled = PostAs("/v1/payments/" + authorized + "/cancel", "");
  ASSERT_EQ(canceled.status, 200) << canceled.body;
  EXPECT_EQ(canceled.Json()["status"], "canceled");
  EXPECT_EQ(PostAs("/v1/payments/" + authorized + "/capture", "").status, 409);
  EXPECT_EQ(PostAs("/v1/payments/" + authorized + "/cancel", "").status, 409);

  const std::string captured = Create(700).Json()["id"];
  auto refused = PostAs("/v1/payments/" + captured + "/cancel", "");
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(refused.Json()["error"]["type"], "invalid_request_error");
  EXPECT_EQ(refused.Json()["error"]["code"], "payment_unexpected_state");
  EXPECT_EQ(GetAs("/v1/payments/" + captured).Json()["status"], "captured");
  EXPECT_EQ(GetAs("/v1/balance").Json()["available"][0]["amount"], 700);
}

TEST_F(PaymentsApiTest, ManyPartialRefundsNeverExceedTheCapturedAmount) {
  const std::string id = Create(1000).Json()["id"];
  auto first = PostAs("/v1/payments/" + id + "/refunds", R"({"amount":300,"reason":"duplicate"})");
  ASSERT_EQ(first.status, 200) << first.body;
  auto refund = first.Json();
  EXPECT_TRUE(refund["id"].get<std::string>().starts_with("re_"));
  EXPECT_EQ(refund["object"], "refund");
  EXPECT_EQ(refund["amount"], 300);
  EXPECT_EQ(refund["payment"], id);
  EXPECT_EQ(refund["status"], "succeeded");
  EXPECT_EQ(refund["reason"], "duplicate");
  EXPECT_EQ(GetAs("/v1/payments/" + id).Json()["status"], "partially_refunded");

  ASSERT_EQ(PostAs("/v1/payments/" + id + "/refunds", R"({"amount":300})").status, 200);
  auto too_much = PostAs("/v1/payments/" + id + "/refunds", R"({"amount":401})");
  EXPECT_EQ(too_much.status, 400);
  EXPECT_EQ(too_much.Json()["error"]["code"], "amount_too_large");
  // No amount: the remainder.
  auto rest = PostAs("/v1/payments/" + id + "/refunds", "");
  ASSERT_EQ(rest.status, 200) << rest.body;
  EXPECT_EQ(rest.Json()["amount"], 400);
  auto p = GetAs("/v1/payments/" + id).Json();
  EXPECT_EQ(p["status"], "refunded");
  EXPECT_EQ(p["amount_refunded"], 1000);
  auto again = PostAs("/v1/payments/" + id + "/refunds", R"({"amount":1})");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.Json()["error"]["code"], "charge_already_refunded");
  EXPECT_EQ(GetAs("/v1/balance").Json()["available"][0]["amount"], 0);
  EXPECT_EQ(Count("SELECT count(*) FROM refunds"), "3");
}

TEST_F(PaymentsApiTest, RefundingAnAuthorizedPaymentIsAConflict) {
  const std::string id = Create(1000, "usd", "4242424242424242", false).Json()["id"];
  auto r = PostAs("/v1/payments/" + id + "/refunds", "");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(Count("SELECT count(*) FROM refunds"), "0");
}

TEST_F(PaymentsApiTest, DeclinesAre402AndTheFailedPaymentIsStored) {
  struct Case {
    const char* number;
    const char* code;
  };
  for (const Case& c :
       {Case{"4000000000000002", "card_declined"}, Case{"4000000000009995", "insufficient_funds"},
        Case{"4000000000000119", "processing_error"}}) {
    auto r = Create(1234, "usd", c.number);
    ASSERT_EQ(r.status, 402) << r.body;
    auto error = r.Json()["error"];
    EXPECT_EQ(error["type"], "card_error");
    EXPECT_EQ(error["code"], c.code);
    EXPECT_FALSE(error["message"].get<std::string>().empty());
    const std::string id = error["payment"]["id"];
    auto stored = GetAs("/v1/payments/" + id);
    ASSERT_EQ(stored.status, 200);
    EXPECT_EQ(stored.Json()["status"], "failed");
    EXPECT_EQ(stored.Json()["failure_code"], c.code);
    EXPECT_EQ(stored.Json()["amount_captured"], 0);
    EXPECT_EQ(PostAs("/v1/payments/" + id + "/refunds", "").status, 409);
  }
  // Nothing was captured, so nothing reached the ledger.
  EXPECT_EQ(GetAs("/v1/balance").Json()["available"].size(), 0u);
}

TEST_F(PaymentsApiTest, CurrenciesUseTheirOwnExponentAndAreLowerCase) {
  auto jpy = Create(500, "JPY");
  ASSERT_EQ(jpy.status, 200) << jpy.body;
  EXPECT_EQ(jpy.Json()["currency"], "jpy");
  auto kwd = Create(1234, "kwd");
  ASSERT_EQ(kwd.status, 200);
  auto balance = GetAs("/v1/balance").Json();
  ASSERT_EQ(balance["object"], "balance");
  ASSERT_EQ(balance["available"].size(), 2u);
  EXPECT_EQ(balance["available"][0]["currency"], "jpy");
  EXPECT_EQ(balance["available"][0]["amount"], 500);
  EXPECT_EQ(balance["available"][1]["currency"], "kwd");
  EXPECT_EQ(balance["available"][1]["amount"], 1234);
}

struct BadInput {
  const char* name;
  std::string body;
  int status;
  const char* param;
};

TEST_F(PaymentsApiTest, BadInputIsA4xxNamingTheParameterAndChangesNothing) {
  const std::string card = std::string(R"("payment_method":{"card":)") + kCardBody + "}";
  auto with_card = [&](const std::string& rest) { return "{" + rest + "," + card + "}"; };
  const std::vector<BadInput> cases = {
      {"float amount", with_card(R"("amount":10.5,"currency":"usd")"), 400, "amount"},
      {"float integral", with_card(R"("amount":1099.0,"currency":"usd")"), 400, "amount"},
      {"exponent", with_card(R"("amount":1e3,"currency":"usd")"), 400, "amount"},
      {"string amount", with_card(R"("amount":"1099","currency":"usd")"), 400, "amount"},
      {"zero", with_card(R"("amount":0,"currency":"usd")"), 400, "amount"},
      {"negative", with_card(R"("amount":-5,"currency":"usd")"), 400, "amount"},
      {"too large", with_card(R"("amount":100000000000,"currency":"usd")"), 400, "amount"},
      {"huge", with_card(R"("amount":99999999999999999999999,"currency":"usd")"), 400, "amount"},
      {"bool amount", with_card(R"("amount":true,"currency":"usd")"), 400, "amount"},
      {"missing amount", with_card(R"("currency":"usd")"), 400, "amount"},
      {"unknown currency", with_card(R"("amount":100,"currency":"xyz")"), 400, "currency"},
      {"currency type", with_card(R"("amount":100,"currency":5)"), 400, "currency"},
      {"missing currency", with_card(R"("amount":100)"), 400, "currency"},
      {"unknown field", with_card(R"("amount":100,"currency":"usd","colour":"red")"), 400,
       "colour"},
      {"unknown card field",
       R"({"amount":100,"currency":"usd","payment_method":{"card":{"number":"4242424242424242","exp_month":12,"exp_year":2030,"pin":"1"}}})",
       400, "payment_method.card.pin"},
      {"missing card", R"({"amount":100,"currency":"usd","payment_method":{}})", 400,
       "payment_method.card"},
      {"card not object", R"({"amount":100,"currency":"usd","payment_method":{"card":5}})", 400,
       "payment_method.card"},
      {"number type",
       R"({"amount":100,"currency":"usd","payment_method":{"card":{"number":4242424242424242,"exp_month":12,"exp_year":2030}}})",
       400, "payment_method.card.number"},
      {"luhn",
       R"({"amount":100,"currency":"usd","payment_method":{"card":{"number":"4242424242424241","exp_month":12,"exp_year":2030}}})",
       402, "payment_method.card.number"},
      {"expired",
       R"({"amount":100,"currency":"usd","payment_method":{"card":{"number":"4242424242424242","exp_month":1,"exp_year":2020}}})",
       402, "payment_method.card.exp_year"},
      {"month",
       R"({"amount":100,"currency":"usd","payment_method":{"card":{"number":"4242424242424242","exp_month":13,"exp_year":2030}}})",
       402, "payment_method.card.exp_month"},
      {"capture type", with_card(R"("amount":100,"currency":"usd","capture":"yes")"), 400,
       "capture"},
      {"metadata value", with_card(R"("amount":100,"currency":"usd","metadata":{"a":1})"), 400,
       "metadata.a"},
  };
  for (const BadInput& c : cases) {
    auto r = client_->Post("/v1/payments", c.body, JsonHeaders(merchant_.key));
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    auto error = r.Json()["error"];
    EXPECT_EQ(error["param"], c.param) << c.name << ": " << r.body;
    EXPECT_FALSE(error["message"].get<std::string>().empty()) << c.name;
    EXPECT_EQ(error["type"], c.status == 402 ? "card_error" : "invalid_request_error") << c.name;
  }
  EXPECT_EQ(Count("SELECT count(*) FROM payments"), "0");
  EXPECT_EQ(Count("SELECT count(*) FROM events"), "0");
}

TEST_F(PaymentsApiTest, MalformedBodiesAndTransportLimits) {
  auto malformed = client_->Post("/v1/payments", R"({"amount": 1)", JsonHeaders(merchant_.key));
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.Json()["error"]["code"], "invalid_json");

  auto not_json = client_->Post("/v1/payments", "amount=100",
                                {{"Authorization", "Bearer " + merchant_.key},
                                 {"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(not_json.status, 415);
  EXPECT_EQ(not_json.Json()["error"]["type"], "invalid_request_error");

  std::string big =
      R"({"amount":100,"currency":"usd","description":")" + std::string(70 * 1024, 'x') + "\"}";
  auto too_big = client_->Post("/v1/payments", big, JsonHeaders(merchant_.key));
  EXPECT_EQ(too_big.status, 413);
  EXPECT_EQ(too_big.Json()["error"]["code"], "body_too_large");

  std::string deep =
      R"({"amount":100,"metadata":)" + std::string(40, '[') + std::string(40, ']') + "}";
  auto too_deep = client_->Post("/v1/payments", deep, JsonHeaders(merchant_.key));
  EXPECT_EQ(too_deep.status, 400);
  EXPECT_EQ(too_deep.Json()["error"]["code"], "json_too_deep");

  auto unknown_route = GetAs("/v1/nothing");
  EXPECT_EQ(unknown_route.status, 404);
  auto wrong_method = client_->Request("DELETE", "/v1/payments", "",
                                       {{"Authorization", "Bearer " + merchant_.key}});
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.Header("allow"), "POST, GET");
  EXPECT_EQ(Count("SELECT count(*) FROM payments"), "0");
}

TEST_F(PaymentsApiTest, MissingOrWrongKeysAre401) {
  auto none = client_->Get("/v1/payments");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.Json()["error"]["type"], "authentication_error");
  EXPECT_EQ(none.Json()["error"]["code"], "missing_api_key");
  auto wrong = client_->Get("/v1/payments", {{"Authorization", "Bearer sk_test_nope"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.Json()["error"]["code"], "invalid_api_key");
  auto basic = client_->Get("/v1/payments", {{"Authorization", "Basic " + merchant_.key}});
  EXPECT_EQ(basic.status, 401);
  auto post =
      client_->Post("/v1/payments", PaymentBody(100), {{"Content-Type", "application/json"}});
  EXPECT_EQ(post.status, 401);
  EXPECT_EQ(Count("SELECT count(*) FROM payments"), "0");
}

TEST_F(PaymentsApiTest, MerchantsSeeOnlyTheirOwnPayments) {
  const std::string mine = Create(100).Json()["id"];
  const TestMerchant other = CreateMerchant(db_.conninfo(), "Other");
  auto as_other = [&](const std::string& method, const std::string& path) {
    return client_->Request(method, path, "", JsonHeaders(other.key));
  };
  const auto unknown = as_other("GET", "/v1/payments/pay_01m80000000000000000000000");
  const auto theirs = as_other("GET", "/v1/payments/" + mine);
  EXPECT_EQ(theirs.status, 404);
  EXPECT_EQ(unknown.status, 404);
  // Exactly as an unknown id: same type, code and param.
  EXPECT_EQ(theirs.Json()["error"]["code"], unknown.Json()["error"]["code"]);
  EXPECT_EQ(theirs.Json()["error"]["type"], unknown.Json()["error"]["type"]);
  EXPECT_EQ(as_other("POST", "/v1/payments/" + mine + "/refunds").status, 404);
  EXPECT_EQ(as_other("POST", "/v1/payments/" + mine + "/capture").status, 404);
  EXPECT_EQ(as_other("POST", "/v1/payments/" + mine + "/cancel").status, 404);
  EXPECT_EQ(as_other("GET", "/v1/payments").Json()["data"].size(), 0u);
  EXPECT_EQ(as_other("GET", "/v1/balance").Json()["available"].size(), 0u);
  EXPECT_EQ(as_other("GET", "/v1/payments?starting_after=" + mine).status, 400);
  EXPECT_EQ(GetAs("/v1/payments/" + mine).Json()["amount_refunded"], 0);
}

TEST_F(PaymentsApiTest, ListsNewestFirstWithCursorPagination) {
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(Create(100 + i).Json()["id"]);
  std::reverse(ids.begin(), ids.end());
  auto first = GetAs("/v1/payments?limit=3").Json();
  EXPECT_EQ(first["object"], "list");
  EXPECT_EQ(first["url"], "/v1/payments");
  EXPECT_TRUE(first["has_more"].get<bool>());
  ASSERT_EQ(first["data"].size(), 3u);
  std::vector<std::string> seen;
  for (const auto& p : first["data"]) seen.push_back(p["id"]);
  std::string cursor = seen.back();
  while (true) {
    auto page = GetAs("/v1/payments?limit=3&starting_after=" + cursor).Json();
    for (const auto& p : page["data"]) seen.push_back(p["id"]);
    if (!page["has_more"].get<bool>()) break;
    cursor = seen.back();
  }
  EXPECT_EQ(seen, ids);
  EXPECT_EQ(GetAs("/v1/payments").Json()["data"].size(), 7u);  // default limit 10
  for (const char* bad : {"limit=0", "limit=101", "limit=abc", "limit=5.5", "colour=red"}) {
    auto r = GetAs(std::string("/v1/payments?") + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_FALSE(r.Json()["error"]["param"].is_null()) << bad;
  }
  EXPECT_EQ(GetAs("/v1/payments?starting_after=pay_nope").Json()["error"]["param"],
            "starting_after");
}

TEST_F(PaymentsApiTest, UnknownPaymentIs404) {
  for (const char* path : {"/v1/payments/pay_01m80000000000000000000000", "/v1/payments/x'y"}) {
    auto r = GetAs(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.Json()["error"]["type"], "invalid_request_error");
    EXPECT_EQ(r.Json()["error"]["code"], "resource_missing");
  }
}

TEST_F(PaymentsApiTest, EveryStateChangeWritesItsEventInTheSameTransaction) {
  const std::string id = Create(1000, "usd", "4242424242424242", false).Json()["id"];
  ASSERT_EQ(PostAs("/v1/payments/" + id + "/capture", "").status, 200);
  ASSERT_EQ(PostAs("/v1/payments/" + id + "/refunds", R"({"amount":100})").status, 200);
  const std::string declined =
      Create(1000, "usd", "4000000000000002").Json()["error"]["payment"]["id"];
  EXPECT_EQ(
      Count("SELECT string_agg(type, ',' ORDER BY seq) FROM events WHERE subject = '" + id + "'"),
      "payment.created,payment.authorized,payment.captured,refund.created,payment.refunded");
  EXPECT_EQ(Count("SELECT string_agg(type, ',' ORDER BY seq) FROM events WHERE subject = '" +
                  declined + "'"),
            "payment.created,payment.failed");
  // A rejected transition writes nothing.
  ASSERT_EQ(PostAs("/v1/payments/" + id + "/cancel", "").status, 409);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), "7");
}

// Which build runs (and so which fixes it lacks) is for the operator: the
// public listener names the API version only.
TEST_F(PaymentsApiTest, PublicVersionNamesTheApiOnlyAndTheAdminOneTheBuildAndSchema) {
  auto pub = client_->Get("/version");
  ASSERT_EQ(pub.status, 200);
  EXPECT_EQ(pub.Json(), nlohmann::json::parse(R"({"api_version":"v1"})")) << pub.body;
  HttpClient admin(service_->admin_port());
  auto v = admin.Get("/version");
  ASSERT_EQ(v.status, 200);
  EXPECT_FALSE(v.Json()["version"].get<std::string>().empty());
  EXPECT_FALSE(v.Json()["commit"].get<std::string>().empty());
  EXPECT_GE(v.Json()["schema_version_applied"].get<int64_t>(), 1);
  EXPECT_EQ(v.Json()["schema_version_applied"], v.Json()["schema_version_built_in"]);
}

}  // namespace
}  // namespace payments::testing
