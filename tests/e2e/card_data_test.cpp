// Card numbers are never at rest: a merchant who pastes one into a free-text
// field (description, metadata keys and values, the Idempotency-Key) gets a
// 400 naming the field, and after payments, a decline and a refund no full
// card number is anywhere — not in any table (the outbox included, which is
// what the relay publishes), the service's log, /metrics, or an error body.
// Against the real binary on a real PostgreSQL (docs/security.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "support/prometheus.h"
#include "support/service_fixture.h"

namespace payments::testing {
namespace {

// The card numbers this test ever sends, digits only.
const std::vector<std::string> kNumbers = {"4242424242424242", "5555555555554444",
                                           "378282246310005", "4000000000000002"};

// Text with spaces and dashes taken out, so "4242 4242 …" is found too.
std::string DigitsJoined(std::string text) {
  text.erase(std::remove_if(text.begin(), text.end(), [](char c) { return c == ' ' || c == '-'; }),
             text.end());
  return text;
}

class CardDataTest : public ServiceTest {
 protected:
  std::string Query(const std::string& sql) {
    auto conn = db_.Connect();
    return QueryValue(*conn, sql);
  }

  double Authorizations() {
    HttpClient admin(service_->admin_port());
    const double v = ParsePrometheus(admin.Get("/metrics").body)
                         .Value("payments_processor_calls_total", {{"operation", "authorize"}});
    return std::isnan(v) ? 0 : v;
  }

  // Fails naming where a full card number was found.
  void ExpectNoCardNumberIn(const std::string& where, const std::string& text) {
    const std::string joined = DigitsJoined(text);
    for (const std::string& number : kNumbers) {
      EXPECT_EQ(joined.find(number), std::string::npos) << "a full card number in " << where;
    }
  }

  // Every table of the schema, as text.
  void ExpectNoCardNumberAtRest() {
    const std::string tables = Query(
        "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables "
        "WHERE schemaname = 'public'");
    ASSERT_NE(tables.find("payments"), std::string::npos) << tables;
    ASSERT_NE(tables.find("events"), std::string::npos) << tables;
    std::istringstream names(tables);
    for (std::string table; names >> table;) {
      ExpectNoCardNumberIn(
          "table " + table,
          Query("SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM " + table + " t"));
    }
    ExpectNoCardNumberIn("the service log", service_->Logs());
    HttpClient admin(service_->admin_port());
    ExpectNoCardNumberIn("/metrics", admin.Get("/metrics").body);
  }
};

TEST_F(CardDataTest, ACardNumberInAFreeTextFieldIsA400NamingTheFieldAndWritesNothing) {
  const std::string card = std::string(R"("payment_method":{"card":)") + kCardBody + "}";
  struct Case {
    std::string body;
    std::string idempotency_key;
    std::string param;
  };
  const std::vector<Case> cases = {
      {R"({"amount":1000,"currency":"usd","description":"4242424242424242",)" + card + "}", "k1",
       "description"},
      {R"({"amount":1000,"currency":"usd","description":"pay 4242 4242 4242 4242 thanks",)" + card +
           "}",
       "k2", "description"},
      {R"({"amount":1000,"currency":"usd","description":"5555-5555-5555-4444",)" + card + "}", "k3",
       "description"},
      {R"({"amount":1000,"currency":"usd","metadata":{"note":"378282246310005"},)" + card + "}",
       "k4", "metadata.note"},
      {R"({"amount":1000,"currency":"usd","metadata":{"4000 0000 0000 0002":"x"},)" + card + "}",
       "k5", "metadata"},
      {R"({"amount":1000,"currency":"usd",)" + card + "}", "order-4242-4242-4242-4242",
       "Idempotency-Key"},
  };
  const double before = Authorizations();
  for (const Case& c : cases) {
    for (int attempt = 0; attempt < 2; ++attempt) {  // a retry changes nothing either
      auto r = PostAs("/v1/payments", c.body, c.idempotency_key);
      EXPECT_EQ(r.status, 400) << c.body << " " << r.body;
      EXPECT_EQ(r.Json()["error"]["code"], "parameter_contains_card_number") << r.body;
      EXPECT_EQ(r.Json()["error"]["param"], c.param) << r.body;
      ExpectNoCardNumberIn("the error body for " + c.param, r.body);
    }
  }
  EXPECT_EQ(Authorizations(), before);
  EXPECT_EQ(Query("SELECT count(*) FROM payments"), "0");
  EXPECT_EQ(Query("SELECT count(*) FROM idempotency_keys"), "0");
  EXPECT_EQ(Query("SELECT count(*) FROM events"), "0");

  // A refund's metadata too.
  auto paid = Create(1000);
  ASSERT_EQ(paid.status, 200) << paid.body;
  const std::string id = paid.Json()["id"];
  auto refund = PostAs("/v1/payments/" + id + "/refunds",
                       R"({"amount":100,"metadata":{"why":"wrong card 4242424242424242"}})");
  EXPECT_EQ(refund.status, 400) << refund.body;
  EXPECT_EQ(refund.Json()["error"]["param"], "metadata.why") << refund.body;
  EXPECT_EQ(Query("SELECT count(*) FROM refunds"), "0");
}

// Found by the request_path fuzzer: a 404 echoed the path, card number and
// all, when the number stood inside an id.
TEST_F(CardDataTest, AnErrorNeverEchoesACardNumberFromThePathOrQuery) {
  HttpClient admin(service_->admin_port());
  const std::vector<std::pair<std::string, HttpResponse>> answers = {
      {"an unknown URL", GetAs("/v1/x_w9424242424242424242")},
      {"an unknown URL, unauthenticated",
       HttpClient(service_->public_port()).Get("/4242424242424242")},
      {"an unknown id", GetAs("/v1/payments/pay_4242424242424242")},
      // With an Idempotency-Key, whose record keeps the path for a day.
      {"an unknown id in a path",
       PostAs("/v1/payments/5555555555554444/capture", "{}", "capture-by-card-number")},
      {"a list cursor", GetAs("/v1/payments?starting_after=pay_378282246310005")},
      {"an event cursor", GetAs("/v1/events?starting_after=evt_4000000000000002")},
      {"the admin listener", admin.Get("/admin/4242-4242-4242-4242")},
  };
  for (const auto& [what, r] : answers) {
    EXPECT_GE(r.status, 400) << what << ": " << r.body;
    EXPECT_LT(r.status, 500) << what << ": " << r.body;
    ExpectNoCardNumberIn("the answer to " + what, r.body);
  }
  ASSERT_EQ(Query("SELECT count(*) FROM idempotency_keys"), "1");
  ExpectNoCardNumberAtRest();
}

TEST_F(CardDataTest, NumbersThatAreNotCardNumbersPass) {
  // 16 digits failing Luhn, a phone number, a date: a merchant's own references.
  auto r = PostAs("/v1/payments",
                  R"({"amount":1000,"currency":"usd","description":"order 4242424242424241",)"
                  R"("metadata":{"phone":"+1 415 555 2671","shipped":"2026-12-07"},)"
                  R"("payment_method":{"card":)" +
                      std::string(kCardBody) + "}}",
                  "order-4242424242424241");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["description"], "order 4242424242424241");
}

TEST_F(CardDataTest, NoFullCardNumberIsAtRestAfterPaymentsDeclinesAndRefunds) {
  auto visa = Create(1000, "usd", "4242424242424242", true, "visa");
  ASSERT_EQ(visa.status, 200) << visa.body;
  ExpectNoCardNumberIn("a payment's answer", visa.body);
  auto mastercard = Create(2000, "usd", "5555555555554444", false, "mastercard");
  ASSERT_EQ(mastercard.status, 200) << mastercard.body;
  auto amex = Create(3000, "usd", "378282246310005", true, "amex");
  ASSERT_EQ(amex.status, 200) << amex.body;
  auto declined = Create(4000, "usd", "4000000000000002", true, "declined");
  ASSERT_EQ(declined.status, 402) << declined.body;
  ExpectNoCardNumberIn("a decline's answer", declined.body);
  auto refund =
      PostAs("/v1/payments/" + visa.Json()["id"].get<std::string>() + "/refunds", "{}", "refund");
  ASSERT_EQ(refund.status, 200) << refund.body;
  auto capture = PostAs("/v1/payments/" + mastercard.Json()["id"].get<std::string>() + "/capture",
                        "{}", "capture");
  ASSERT_EQ(capture.status, 200) << capture.body;
  // A replay answers from the stored reply: that copy is clean too.
  auto replay = Create(1000, "usd", "4242424242424242", true, "visa");
  ASSERT_EQ(replay.status, 200);
  ExpectNoCardNumberIn("a replayed answer", replay.body);
  auto listed = GetAs("/v1/payments?limit=10");
  ASSERT_EQ(listed.status, 200);
  ExpectNoCardNumberIn("the payments list", listed.body);
  auto events = GetAs("/v1/events?limit=100");
  ASSERT_EQ(events.status, 200);
  ExpectNoCardNumberIn("the events list", events.body);

  ASSERT_EQ(Query("SELECT count(*) FROM payments"), "4");
  ExpectNoCardNumberAtRest();
}

}  // namespace
}  // namespace payments::testing
