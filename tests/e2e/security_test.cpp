// What an attacker sends, against the real binary on a real PostgreSQL:
// paths that read unlike they route, bytes that are not UTF-8, NULs that the
// database refuses, framing a proxy would read differently, slow and
// oversized requests, and the fault-injection routes. Each case once let a
// request through unauthenticated, stopped the process, moved money without
// a record, or smuggled a request (docs/security.md).
#include <gtest/gtest.h>

#include <thread>

#include "support/prometheus.h"
#include "support/raw_connection.h"
#include "support/service_fixture.h"

namespace payments::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kAdminToken[] = "security-test-admin-token";

class SecurityTest : public ServiceTest {
 protected:
  Env ExtraEnv() override {
    return {{"PAYMENTS_FAULT_INJECTION", "1"},
            {"PAYMENTS_ADMIN_TOKEN", kAdminToken},
            {"PAYMENTS_HTTP_READ_TIMEOUT", "1500"},
            // Above the slow card's 1.5 s; reconciliation's first look:
            // 3 × (0.2 + 2 × 2.5) + 0.5 = 16.1 s.
            {"PAYMENTS_PROCESSOR_TIMEOUT", "2500"},
            {"PAYMENTS_PROCESSOR_CONNECT_TIMEOUT", "200"},
            {"PAYMENTS_RECONCILE_INTERVAL", "200"},
            {"PAYMENTS_HTTP_IDLE_TIMEOUT", "3000"},
            {"PAYMENTS_SANDBOX_SLOW_LATENCY", "1500"}};
  }

  // One request of raw bytes on a new connection, and its response.
  RawReply Raw(const std::string& bytes, int port = 0) {
    RawConnection c(port == 0 ? service_->public_port() : port);
    EXPECT_TRUE(c.connected());
    c.Send(bytes);
    return c.ReadResponse(5s);
  }

  static std::string ErrorCode(const RawReply& r) {
    auto body = nlohmann::json::parse(r.body, nullptr, false);
    return body.is_discarded() ? "" : body["error"]["code"].get<std::string>();
  }

  double Metric(const std::string& name, const std::map<std::string, std::string>& labels) {
    HttpClient admin(service_->admin_port());
    const double v = ParsePrometheus(admin.Get("/metrics").body).Value(name, labels);
    return std::isnan(v) ? 0 : v;
  }
  double Authorizations() {
    return Metric("payments_processor_calls_total", {{"operation", "authorize"}});
  }

  std::string Count(const std::string& sql) {
    auto conn = db_.Connect();
    return QueryValue(*conn, sql);
  }

  // The service still answers, on a fresh connection.
  void ExpectAlive() {
    ASSERT_TRUE(service_->Running());
    HttpClient fresh(service_->public_port());
    EXPECT_EQ(fresh.Get("/version").status, 200);
    HttpClient admin(service_->admin_port());
    EXPECT_EQ(admin.Get("/livez").status, 200);
  }
};

// --- 1. Authentication on the route, not on the path ------------------------

TEST_F(SecurityTest, PathsWithEmptySegmentsNeverReachAHandler) {
  const double before = Authorizations();
  for (const char* target : {"//v1/payments", "//v1/balance", "//v1/events", "/v1//payments",
                             "///v1/payments", "/v1/payments/"}) {
    auto r = client_->Get(target);
    EXPECT_EQ(r.status, 400) << target << " " << r.body;
    EXPECT_EQ(r.Json()["error"]["code"], "invalid_path") << target;
  }
  auto created = client_->Post("//v1/payments", PaymentBody(1000),
                               {{"Content-Type", "application/json"}, {"Idempotency-Key", "k1"}});
  EXPECT_EQ(created.status, 400) << created.body;
  // With a valid key too: such a path is refused, not normalised.
  EXPECT_EQ(client_->Post("//v1/payments", PaymentBody(1000), JsonHeaders(merchant_.key)).status,
            400);
  EXPECT_EQ(Authorizations(), before);
  EXPECT_EQ(Count("SELECT count(*) FROM idempotency_keys"), "0");
  EXPECT_EQ(Count("SELECT count(*) FROM payments"), "0");
}

TEST_F(SecurityTest, DotSegmentsAndEncodedSlashesAreRefused) {
  for (const char* target :
       {"/v1/./payments", "/v1/../v1/payments", "/x/../v1/balance", "/v1%2Fpayments",
        "/v1/payments%2F..%2Fbalance", "/%2e%2e/v1/balance", "/v1/payments/pay_1%00"}) {
    auto r = GetAs(target);
    EXPECT_EQ(r.status, 400) << target << " " << r.body;
    EXPECT_EQ(r.Json()["error"]["code"], "invalid_path") << target;
  }
}

TEST_F(SecurityTest, EveryV1RouteNeedsAKey) {
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/payments"},
           {"POST", "/v1/payments"},
           {"GET", "/v1/payments/pay_0000000000000000000000000"},
           {"POST", "/v1/payments/pay_0000000000000000000000000/capture"},
           {"POST", "/v1/payments/pay_0000000000000000000000000/cancel"},
           {"POST", "/v1/payments/pay_0000000000000000000000000/refunds"},
           {"GET", "/v1/balance"},
           {"GET", "/v1/events"},
           {"GET", "/v1/events/evt_0000000000000000000000000"}}) {
    auto r = client_->Request(method, target, "", {{"Authorization", "Bearer sk_test_wrong"}});
    EXPECT_EQ(r.status, 401) << method << " " << target;
    EXPECT_EQ(client_->Request(method, target).status, 401) << method << " " << target;
  }
  EXPECT_EQ(client_->Get("/version").status, 200);  // the one public route
}

// --- 2. No request stops the process -------------------------------------------

TEST_F(SecurityTest, BytesThatAreNotUtf8AreA400OnBothListeners) {
  for (int port : {service_->public_port(), service_->admin_port()}) {
    for (const char* target :
         {"/\xff", "/v1/payments/\xc3\x28", "/v1/\xed\xa0\x80", "/admin/flags/\xff\xfe"}) {
      auto r = Raw(std::string("GET ") + target + " HTTP/1.1\r\nHost: t\r\n\r\n", port);
      EXPECT_EQ(r.status, 400) << target;
      EXPECT_EQ(ErrorCode(r), "invalid_path") << target;
      EXPECT_EQ(r.body.find('\xff'), std::string::npos);
    }
  }
  ExpectAlive();
}

TEST_F(SecurityTest, QueryValuesThatAreNotTextAreA400NamingTheQuery) {
  for (const char* target : {"/v1/payments?starting_after=%FF", "/v1/payments?starting_after=%00",
                             "/v1/events?type=%C3%28", "/v1/payments?limit=1%0A2",
                             "/v1/payments?starting_after=pay_%E2%82%AC"}) {
    auto r = GetAs(target);
    EXPECT_EQ(r.status, 400) << target << " " << r.body;
    EXPECT_TRUE(r.Json()["error"]["code"] == "invalid_query" ||
                r.Json()["error"]["code"] == "parameter_invalid_string" ||
                r.Json()["error"]["code"] == "parameter_invalid_integer")
        << target << " " << r.body;
  }
  auto raw = Raw("GET /v1/payments?starting_after=\xff HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(raw.status, 400);
  EXPECT_EQ(ErrorCode(raw), "invalid_query");
  ExpectAlive();
}

TEST_F(SecurityTest, ARequestIdThatIsNotVisibleAsciiIsA400) {
  auto r = Raw("GET /version HTTP/1.1\r\nHost: t\r\nX-Request-Id: caf\xc3\xa9\r\n\r\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorCode(r), "invalid_request_id");
  auto too_long = client_->Get("/version", {{"X-Request-Id", std::string(129, 'a')}});
  EXPECT_EQ(too_long.status, 400);
  auto fine = client_->Get("/version", {{"X-Request-Id", "trace-1234"}});
  EXPECT_EQ(fine.status, 200);
  EXPECT_EQ(fine.Header("x-request-id"), "trace-1234");
}

// Two requests in flight under one client-chosen id are two requests: the id
// is a label, never the key of the server's own bookkeeping.
TEST_F(SecurityTest, RequestsSharingAnIdAreCountedApart) {
  auto slow = [&] {
    HttpClient c(service_->public_port());
    return c
        .Post("/v1/payments", PaymentBody(1000, "usd", "4000000000000341"),
              {{"Authorization", "Bearer " + merchant_.key},
               {"Content-Type", "application/json"},
               {"X-Request-Id", "same-id"}})
        .status;
  };
  int a = 0;
  int b = 0;
  std::thread first([&] { a = slow(); });
  std::thread second([&] { b = slow(); });
  const bool both = Eventually(
      [&] {
        return Metric("payments_http_in_flight_requests", {{"listener", "public"}}) == 2;
      },
      2500ms);
  first.join();
  second.join();
  EXPECT_TRUE(both);
  EXPECT_EQ(a, 200);
  EXPECT_EQ(b, 200);
  EXPECT_TRUE(Eventually(
      [&] {
        return Metric("payments_http_in_flight_requests", {{"listener", "public"}}) == 0;
      },
      5s));
}

// --- 3. Nothing reaches the processor that the database would refuse -----------

TEST_F(SecurityTest, NulInMetadataOrDescriptionNeverReachesTheProcessor) {
  const double before = Authorizations();
  const std::string card = std::string(R"("payment_method":{"card":)") + kCardBody + "}";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"amount":1000,"currency":"usd","metadata":{"a\u0000b":"x"},)" + card + "}",
       std::string("metadata.a\0b", 12)},
      {R"({"amount":1000,"currency":"usd","metadata":{"order":"4\u00002"},)" + card + "}",
       "metadata.order"},
      {R"({"amount":1000,"currency":"usd","description":"cut\u0000here",)" + card + "}",
       "description"},
      {R"({"amount":1000,"currency":"usd","metadata":{"tab\tkey":"x"},)" + card + "}",
       "metadata.tab\tkey"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& [body, param] = cases[i];
    for (int attempt = 0; attempt < 2; ++attempt) {  // the retry must not charge either
      auto r = PostAs("/v1/payments", body, "nul-" + std::to_string(i));
      EXPECT_EQ(r.status, 400) << body << " " << r.body;
      EXPECT_EQ(r.Json()["error"]["param"], param) << r.body;
    }
  }
  EXPECT_EQ(Authorizations(), before);
  EXPECT_EQ(Count("SELECT count(*) FROM payments"), "0");
}

TEST_F(SecurityTest, UnpairedSurrogatesAndBytesThatAreNotUtf8InABodyAreA400) {
  const double before = Authorizations();
  const std::string card = std::string(R"("payment_method":{"card":)") + kCardBody + "}";
  for (const std::string& bad : {std::string(R"("\ud800")"), std::string(R"("\udc00x")"),
                                 std::string("\"\xff\""), std::string("\"\xed\xa0\x80\"")}) {
    auto r = PostAs("/v1/payments",
                    R"({"amount":1000,"currency":"usd","description":)" + bad + "," + card + "}");
    EXPECT_EQ(r.status, 400) << bad << " " << r.body;
    EXPECT_EQ(r.Json()["error"]["code"], "invalid_json") << r.body;
  }
  EXPECT_EQ(Authorizations(), before);
  ExpectAlive();
}

// Found by the request_path fuzzer: it was a 500 (the JSON parser threw).
TEST_F(SecurityTest, ANumberBeyondADoublesRangeIsA400) {
  const double before = Authorizations();
  const std::string card = std::string(R"("payment_method":{"card":)") + kCardBody + "}";
  for (const char* number : {"1e999", "-1e999", "55555555e5555555555555555555555555"}) {
    auto r = PostAs("/v1/payments",
                    std::string(R"({"amount":)") + number + R"(,"currency":"usd",)" + card + "}");
    EXPECT_EQ(r.status, 400) << number << " " << r.body;
    EXPECT_EQ(r.Json()["error"]["code"], "invalid_json") << r.body;
  }
  EXPECT_EQ(Authorizations(), before);
  ExpectAlive();
}

TEST_F(SecurityTest, LengthsAreCountedInCharactersAsTheDatabaseCountsThem) {
  // 40 two-byte characters: a valid key of 80 bytes.
  std::string key;
  for (int i = 0; i < 40; ++i) key += "\xc3\xa9";
  auto ok = client_->Post(
      "/v1/payments",
      nlohmann::json(
          {{"amount", 1000},
           {"currency", "usd"},
           {"metadata", {{key, "v"}}},
           {"payment_method", nlohmann::json::parse(std::string("{\"card\":") + kCardBody + "}")}})
          .dump(),
      JsonHeaders(merchant_.key));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.Json()["metadata"][key], "v");
  EXPECT_EQ(Count("SELECT count(*) FROM payments WHERE metadata ? '" + key + "'"), "1");
}

// A trigger that refuses to write (`op`: INSERT or UPDATE) a payment
// described 'refuse me'.
void RefuseMarkedPayments(TestDatabase& db, const std::string& op) {
  ASSERT_TRUE(db.Connect()->ExecScript(R"(
    CREATE FUNCTION refuse_marked_payment() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.description = 'refuse me' THEN RAISE EXCEPTION 'refused by the test'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER refuse_marked_payment BEFORE )" +
                                       op + R"( ON payments
      FOR EACH ROW EXECUTE FUNCTION refuse_marked_payment();)"));
}

std::string MarkedPayment(int64_t amount) {
  auto body = nlohmann::json::parse(PaymentBody(amount));
  body["description"] = "refuse me";
  return body.dump();
}

// The intent is recorded before the processor is called: when it cannot be,
// the processor is never called, nothing is stored under the key, and the
// retry charges once, and records it.
TEST_F(SecurityTest, APaymentWhoseIntentCannotBeRecordedNeverReachesTheProcessor) {
  RefuseMarkedPayments(db_, "INSERT");
  const double before = Authorizations();
  auto r = PostAs("/v1/payments", MarkedPayment(1200), "refused-intent");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_EQ(Authorizations(), before);
  EXPECT_EQ(Count("SELECT count(*) FROM payments"), "0");

  ASSERT_TRUE(db_.Connect()->ExecScript("DROP TRIGGER refuse_marked_payment ON payments"));
  auto retried = PostAs("/v1/payments", MarkedPayment(1200), "refused-intent");
  EXPECT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(Count("SELECT count(*) FROM payments"), "1");
  EXPECT_EQ(Authorizations(), before + 1);
}

// An approval whose recording fails is not lost and not guessed at: the
// payment stays processing (202, stored under the key, replayed to the
// retry, which charges nothing again) until reconciliation records what the
// processor did.
TEST_F(SecurityTest, AnApprovalThatCannotBeRecordedIsPendingAndNeverChargedTwice) {
  RefuseMarkedPayments(db_, "UPDATE");
  const double before = Authorizations();
  auto r = PostAs("/v1/payments", MarkedPayment(1300), "unrecorded");
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.Json()["status"], "processing");
  auto retried = PostAs("/v1/payments", MarkedPayment(1300), "unrecorded");
  EXPECT_EQ(retried.status, 202);
  EXPECT_EQ(retried.Header("idempotent-replayed"), "true");
  EXPECT_EQ(retried.Json()["id"], r.Json()["id"]);
  EXPECT_EQ(Authorizations(), before + 1);
  EXPECT_TRUE(
      service_->WaitForLog("could not record the processor's answer; reconciliation will", 5s));

  ASSERT_TRUE(db_.Connect()->ExecScript("DROP TRIGGER refuse_marked_payment ON payments"));
  HttpResponse settled;
  ASSERT_TRUE(Eventually(
      [&] {
        settled = PostAs("/v1/payments", MarkedPayment(1300), "unrecorded");
        return settled.status != 202;
      },
      std::chrono::seconds(45)));
  EXPECT_EQ(settled.status, 200) << settled.body;
  EXPECT_EQ(settled.Json()["id"], r.Json()["id"]);
  EXPECT_EQ(settled.Json()["status"], "captured");
  EXPECT_EQ(Authorizations(), before + 1);
  EXPECT_EQ(Count("SELECT count(*) FROM ledger_entries"), "1");
}

// --- 4. HTTP/1.1 framing (RFC 9112) -----------------------------------------------

TEST_F(SecurityTest, ATransferEncodingNotEndingInChunkedIsRefusedAndNothingIsSmuggled) {
  const std::string smuggled = "GET /version HTTP/1.1\r\nHost: t\r\n\r\n";
  for (const char* te : {"identity", "chunked, identity", "xchunked", "chunked;q=1", "gzip"}) {
    RawConnection c(service_->public_port());
    c.Send(std::string("POST /v1/payments HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: ") + te +
           "\r\n\r\n" + smuggled);
    std::string all;
    EXPECT_TRUE(c.ReadUntilClosed(5s, &all)) << te;
    const auto replies = SplitResponses(all);
    ASSERT_EQ(replies.size(), 1u) << te << ": " << all;  // the second request is not answered
    EXPECT_EQ(replies[0].status, 400) << te;
  }
  // A coding before chunked is understood as framing but not served.
  RawConnection gzip(service_->public_port());
  gzip.Send(
      "POST /v1/payments HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(gzip.ReadResponse(5s).status, 501);
  EXPECT_TRUE(gzip.ClosedWithin(5s));
}

TEST_F(SecurityTest, TransferEncodingWithContentLengthOrTwoLengthsIsA400) {
  for (const char* head : {"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                           "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                           "Content-Length: 2\r\nContent-Length: 5\r\n", "Content-Length: 2, 5\r\n",
                           "Content-Length: -1\r\n"}) {
    RawConnection c(service_->public_port());
    c.Send(std::string("POST /v1/payments HTTP/1.1\r\nHost: t\r\n") + head + "\r\n{}\r\n\r\n");
    EXPECT_EQ(c.ReadResponse(5s).status, 400) << head;
    EXPECT_TRUE(c.ClosedWithin(5s)) << head;
  }
  // Chunked alone is fine.
  auto ok = Raw("POST /v1/payments HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + merchant_.key +
                "\r\nContent-Type: application/json\r\nTransfer-Encoding: "
                "chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
  EXPECT_EQ(ok.status, 400);  // reached the handler: {} lacks the amount
  EXPECT_EQ(ErrorCode(ok), "parameter_missing");
}

TEST_F(SecurityTest, LimitsOnTheRequestLineAndHeaders) {
  auto long_target = Raw("GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_TRUE(long_target.status == 414 || long_target.status == 431) << long_target.status;
  std::string many = "GET /version HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 120; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  auto too_many = Raw(many + "\r\n");
  EXPECT_EQ(too_many.status, 431);
  EXPECT_EQ(ErrorCode(too_many), "headers_too_many");
  auto too_large =
      Raw("GET /version HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(20000, 'b') + "\r\n\r\n");
  EXPECT_EQ(too_large.status, 431);
  ExpectAlive();
}

// Headers sent at a byte every 100 ms: the read timeout (1.5 s here) cuts
// the connection; it never stays open past it, however it trickles.
TEST_F(SecurityTest, ASlowRequestIsCutAtTheReadTimeout) {
  RawConnection c(service_->public_port());
  const std::string request =
      "GET /version HTTP/1.1\r\nHost: t\r\nX-Slow: " + std::string(60, 's') +
      "\r\n\r\n";  // 6+ s at this pace
  const auto start = std::chrono::steady_clock::now();
  bool closed = false;
  for (char byte : request) {
    if (!c.Send(std::string(1, byte)) || c.ClosedWithin(100ms)) {
      closed = true;
      break;
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(closed);
  EXPECT_GE(elapsed, 1400ms);
  EXPECT_LT(elapsed, 3000ms);
}

TEST_F(SecurityTest, AnIdleConnectionIsClosedAtTheIdleTimeout) {
  RawConnection c(service_->public_port());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.ClosedWithin(6s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 2900ms);
}

// --- 5. Fault injection --------------------------------------------------------------

TEST_F(SecurityTest, FaultRoutesNeedTheAdminTokenAndAreBounded) {
  HttpClient admin(service_->admin_port());
  EXPECT_EQ(admin.Post("/admin/fault/stall-event-loop?ms=10", "").status, 401);
  EXPECT_EQ(
      admin.Post("/admin/fault/stall-event-loop?ms=10", "", {{"Authorization", "Bearer x"}}).status,
      401);
  const Headers auth = {{"Authorization", std::string("Bearer ") + kAdminToken}};
  for (const char* query : {"ms=86400000", "ms=0", "ms=-5", "ms=1e3", "ms=", "seconds=1"}) {
    auto r = admin.Post(std::string("/admin/fault/stall-event-loop?") + query, "", auth);
    EXPECT_EQ(r.status, 400) << query << " " << r.body;
  }
  EXPECT_EQ(admin.Post("/admin/fault/stall-event-loop?ms=10", "", auth).status, 202);
  ExpectAlive();
}

}  // namespace
}  // namespace payments::testing
