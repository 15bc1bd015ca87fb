// The public listener's rate limits against the real binary: a key over its
// bucket, wrong keys from one client address (and behind a trusted proxy),
// and the card-testing guard (docs/security.md, "Rate limits").
#include <gtest/gtest.h>

#include <cmath>

#include "support/prometheus.h"
#include "support/service_fixture.h"

namespace payments::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kDeclinedCard = "4000000000000002";

class RateLimitTest : public ServiceTest {
 protected:
  double Metric(const std::string& name, const std::map<std::string, std::string>& labels = {}) {
    HttpClient admin(service_->admin_port());
    return ParsePrometheus(admin.Get("/metrics").body).Value(name, labels);
  }
  int64_t Payments() {
    auto conn = db_.Connect();
    return std::stoll(QueryValue(*conn, "SELECT count(*) FROM payments"));
  }
  HttpResponse WithKey(const std::string& key, const Headers& extra = {}) {
    Headers h{{"Authorization", "Bearer " + key}};
    h.insert(h.end(), extra.begin(), extra.end());
    return client_->Get("/v1/payments", h);
  }
};

class PerKeyLimitTest : public RateLimitTest {
  Env ExtraEnv() override {
    return {{"PAYMENTS_RATE_LIMIT", "1"}, {"PAYMENTS_RATE_LIMIT_BURST", "5"}};
  }
};

TEST_F(PerKeyLimitTest, AKeyPastItsBucketGets429WithRetryAfterAndTheRateLimitFields) {
  for (int i = 0; i < 5; ++i) {
    auto r = GetAs("/v1/payments");
    ASSERT_EQ(r.status, 200) << i << r.body;
    EXPECT_EQ(r.Header("ratelimit-policy"), "\"per-key\";q=5;w=5");
    // Remaining counts down; a request may land as a token refills, so at
    // least what the burst leaves and never more than the burst.
    const std::string state = r.Header("ratelimit");
    ASSERT_TRUE(state.starts_with("\"per-key\";r=")) << state;
    EXPECT_GE(std::stoi(state.substr(12)), 4 - i) << state;
  }
  // Drain whatever refilled meanwhile, then the next is refused.
  HttpResponse refused;
  for (int i = 0; i < 10 && refused.status != 429; ++i) refused = GetAs("/v1/payments");
  ASSERT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.Json()["error"]["type"], "rate_limit_error");
  EXPECT_EQ(refused.Json()["error"]["code"], "rate_limited");
  EXPECT_GE(std::stoi(refused.Header("retry-after")), 1);
  EXPECT_TRUE(refused.Header("ratelimit").starts_with("\"per-key\";r=0;t="))
      << refused.Header("ratelimit");
  EXPECT_EQ(refused.Header("cache-control"), "no-store");

  // Another merchant's key has a bucket of its own.
  const TestMerchant other = CreateMerchant(db_.conninfo(), "Other merchant");
  EXPECT_EQ(WithKey(other.key).status, 200);

  // A refused create moves nothing and is not kept under its key: once a
  // token is back, the same key runs the request.
  const int64_t before = Payments();
  int created = 0;
  HttpResponse create;
  for (int i = 0; i < 10; ++i) {
    create = Create(1500, "usd", "4242424242424242", true, "rl-create-" + std::to_string(i));
    if (create.status != 200) break;
    ++created;
  }
  ASSERT_EQ(create.status, 429) << create.body;
  EXPECT_EQ(Payments(), before + created);
  const std::string refused_key = "rl-create-" + std::to_string(created);
  HttpResponse retried;
  ASSERT_TRUE(Eventually(
      [&] {
        retried = Create(1500, "usd", "4242424242424242", true, refused_key);
        return retried.status != 429;
      },
      10s));
  EXPECT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(retried.Header("idempotent-replayed"), "");
  EXPECT_EQ(Payments(), before + created + 1);
  EXPECT_GE(Metric("payments_rate_limited_total", {{"limit", "per-key"}}), 2);
}

class AuthFailureLimitTest : public RateLimitTest {
  Env ExtraEnv() override {
    return {{"PAYMENTS_AUTH_FAILURES_PER_MINUTE", "1"}, {"PAYMENTS_AUTH_FAILURE_BURST", "3"}};
  }
};

TEST_F(AuthFailureLimitTest, WrongKeysFromOneAddressAreRefusedBeforeTheyAreLookedUp) {
  const std::string wrong = "sk_test_" + std::string(32, 'x');
  for (int i = 0; i < 3; ++i) {
    auto r = WithKey(wrong);
    ASSERT_EQ(r.status, 401) << i << r.body;
  }
  // The socket's peer is the client: what the request says of itself is not
  // believed without a trusted proxy.
  for (const char* claimed : {"203.0.113.1", "198.51.100.2"}) {
    auto r = WithKey(wrong, {{"X-Forwarded-For", claimed}});
    ASSERT_EQ(r.status, 429) << r.body;
    EXPECT_EQ(r.Json()["error"]["code"], "too_many_failed_authentications");
    EXPECT_GE(std::stoi(r.Header("retry-after")), 50);  // one failure a minute
    EXPECT_EQ(r.Header("ratelimit-policy"), "\"failed-auth\";q=3;w=180");
  }
  // Until a failure is forgiven, this address's keys are not looked up at
  // all: not even a right one (a shared address pays for its attacker).
  EXPECT_EQ(GetAs("/v1/payments").status, 429);
  EXPECT_EQ(Metric("payments_auth_failures_total"), 3);
  EXPECT_EQ(Metric("payments_rate_limited_total", {{"limit", "failed-auth"}}), 3);
}

class TrustedProxyTest : public RateLimitTest {
  Env ExtraEnv() override {
    return {{"PAYMENTS_AUTH_FAILURES_PER_MINUTE", "1"},
            {"PAYMENTS_AUTH_FAILURE_BURST", "2"},
            {"PAYMENTS_TRUSTED_PROXIES", "127.0.0.0/8, ::1"}};
  }
};

TEST_F(TrustedProxyTest, BehindATrustedProxyTheForwardedClientIsLimitedAndOthersAreNot) {
  const std::string wrong = "sk_test_" + std::string(32, 'y');
  const Headers attacker{{"X-Forwarded-For", "203.0.113.7"}};
  ASSERT_EQ(WithKey(wrong, attacker).status, 401);
  ASSERT_EQ(WithKey(wrong, attacker).status, 401);
  EXPECT_EQ(WithKey(wrong, attacker).status, 429);
  // The attacker cannot escape by writing another address on the left: the
  // proxy appended the one it saw, and that one is the client.
  EXPECT_EQ(WithKey(wrong, {{"X-Forwarded-For", "192.0.2.55, 203.0.113.7"}}).status, 429);
  // Another client behind the same proxy goes on.
  EXPECT_EQ(WithKey(merchant_.key, {{"X-Forwarded-For", "198.51.100.20"}}).status, 200);
  // So does the proxy's own address for requests it did not forward.
  EXPECT_EQ(GetAs("/v1/payments").status, 200);
  // An IPv6 client is its /64: a new address from it is the same client.
  ASSERT_EQ(WithKey(wrong, {{"X-Forwarded-For", "2001:db8:1:2::1"}}).status, 401);
  ASSERT_EQ(WithKey(wrong, {{"X-Forwarded-For", "2001:db8:1:2::2"}}).status, 401);
  EXPECT_EQ(WithKey(wrong, {{"X-Forwarded-For", "2001:db8:1:2:ffff::99"}}).status, 429);
  EXPECT_EQ(WithKey(wrong, {{"X-Forwarded-For", "2001:db8:1:3::1"}}).status, 401);
}

class CardTestingGuardTest : public RateLimitTest {
  Env ExtraEnv() override {
    return {{"PAYMENTS_CARD_TESTING_MIN_DECLINES", "5"},
            {"PAYMENTS_CARD_TESTING_WINDOW", "60"},
            {"PAYMENTS_CARD_TESTING_PAUSE", "120"}};
  }
};

TEST_F(CardTestingGuardTest, ManyDeclinesPauseTheMerchantsAuthorizationsWithAMetricAndALog) {
  for (int i = 0; i < 5; ++i) {
    auto r = Create(1000, "usd", kDeclinedCard);
    ASSERT_EQ(r.status, 402) << i << r.body;
  }
  const double authorizations =
      Metric("payments_processor_calls_total", {{"operation", "authorize"}});
  const int64_t payments = Payments();
  // A good card too: the attacker's next number would be one.
  auto paused = Create(1000, "usd", "4242424242424242", true, "ct-after-trip");
  ASSERT_EQ(paused.status, 429) << paused.body;
  EXPECT_EQ(paused.Json()["error"]["code"], "card_testing_suspected");
  const int retry_after = std::stoi(paused.Header("retry-after"));
  EXPECT_GT(retry_after, 100);
  EXPECT_LE(retry_after, 120);
  // Nothing reached the processor or the database.
  EXPECT_EQ(Metric("payments_processor_calls_total", {{"operation", "authorize"}}), authorizations);
  EXPECT_EQ(Payments(), payments);
  EXPECT_EQ(Metric("payments_card_testing_trips_total"), 1);
  EXPECT_EQ(Metric("payments_card_testing_refused_total"), 1);
  EXPECT_EQ(Metric("payments_card_testing_paused_merchants"), 1);
  ASSERT_TRUE(service_->WaitForLog("card testing suspected: authorizations paused", 5s));
  const auto lines = service_->LogLines("card testing suspected: authorizations paused");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["merchant_id"], merchant_.id);
  // The same Idempotency-Key is not burnt by the 429.
  auto conn = db_.Connect();
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM idempotency_keys WHERE key = 'ct-after-trip'"),
            "0");
  // Reads and other merchants go on.
  EXPECT_EQ(GetAs("/v1/payments").status, 200);
  const TestMerchant other = CreateMerchant(db_.conninfo(), "Other merchant");
  EXPECT_EQ(client_->Post("/v1/payments", PaymentBody(1000), JsonHeaders(other.key)).status, 200);
}

TEST_F(CardTestingGuardTest, AMerchantWhoseDeclinesAreAMinorityIsNotPaused) {
  // Five declines among fifteen: the minimum, but a third of the attempts.
  for (int i = 0; i < 15; ++i) {
    auto r = Create(1000, "usd", i % 3 == 0 ? kDeclinedCard : "4242424242424242");
    ASSERT_EQ(r.status, i % 3 == 0 ? 402 : 200) << i << r.body;
  }
  EXPECT_EQ(Create(1000).status, 200);
  EXPECT_EQ(Metric("payments_card_testing_trips_total"), 0);
}

TEST(RateLimitSettingsTest, BadSettingsStopServeWithOneLine) {
  for (const Env& bad :
       {Env{{"PAYMENTS_TRUSTED_PROXIES", "10.0.0.0/99"}},
        Env{{"PAYMENTS_TRUSTED_PROXIES", "proxy.example.com"}}, Env{{"PAYMENTS_RATE_LIMIT", "-1"}},
        Env{{"PAYMENTS_RATE_LIMIT_BURST", "0"}},
        Env{{"PAYMENTS_CARD_TESTING_DECLINE_RATIO", "1.5"}},
        Env{{"PAYMENTS_CARD_TESTING_WINDOW", "0"}}}) {
    Env env = bad;
    env["PAYMENTS_DATABASE_URL"] = "host=/nonexistent";
    auto r = RunPayments({"serve"}, env, 30s);
    EXPECT_EQ(r.exit_code, 2) << bad.begin()->first << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace payments::testing
