// Webhooks end to end (docs/webhooks.md): the real binary, PostgreSQL, the
// sandbox processor and real HTTP receivers started by the test. Deliveries
// are checked with an implementation of the Standard Webhooks verification
// written apart from the service's signing code (support/
// standard_webhooks_verifier.h); retries, Retry-After, 410, a receiver that
// never answers, SIGKILL mid-delivery, order per payment and subscriptions
// over three endpoints of two merchants.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/eventually.h"
#include "support/http_client.h"
#include "support/prometheus.h"
#include "support/service_process.h"
#include "support/standard_webhooks_verifier.h"
#include "support/test_database.h"
#include "support/webhook_receiver.h"

namespace payments::testing {
namespace {

using json = nlohmann::json;
using std::chrono::seconds;

std::string PaymentJson(int64_t amount, bool capture) {
  return json({{"amount", amount},
               {"currency", "usd"},
               {"capture", capture},
               {"payment_method",
                {{"card",
                  {{"number", "4242424242424242"},
                   {"exp_month", 12},
                   {"exp_year", 2030},
                   {"cvc", "123"}}}}}})
      .dump();
}

class WebhooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.Migrate());
    StartService();
    merchant_ = CreateMerchant(db_.conninfo());
  }

  Env ServiceEnv() {
    return {{"PAYMENTS_DATABASE_URL", db_.conninfo()},
            {"PAYMENTS_WEBHOOK_ALLOW_HTTP", "true"},
            {"PAYMENTS_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32"},
            {"PAYMENTS_WEBHOOK_RETRY_SCHEDULE", "100ms,100ms,100ms"},
            {"PAYMENTS_WEBHOOK_POLL_INTERVAL", "20"},
            {"PAYMENTS_WEBHOOK_TIMEOUT", "1000"},
            {"PAYMENTS_WEBHOOK_CONNECT_TIMEOUT", "500"},
            {"PAYMENTS_WEBHOOK_LEASE", "2000"}};
  }

  void StartService(Env extra = {}) {
    Env env = ServiceEnv();
    for (auto& [k, v] : extra) env[k] = v;
    service_ = ServiceProcess::Start(env);
    ASSERT_NE(service_, nullptr);
    client_ = std::make_unique<HttpClient>(service_->public_port());
  }

  HttpResponse Post(const TestMerchant& m, const std::string& path, const std::string& body,
                    const std::string& key = "") {
    return client_->Post(path, body, JsonHeaders(m.key, key));
  }
  HttpResponse Get(const TestMerchant& m, const std::string& path) {
    return client_->Get(path, {{"Authorization", "Bearer " + m.key}});
  }

  // Creates an endpoint; returns it with its secret.
  json CreateEndpoint(const TestMerchant& m, const std::string& url,
                      const json& types = json::array({"*"})) {
    auto r = Post(m, "/v1/webhook_endpoints", json{{"url", url}, {"enabled_events", types}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }

  std::string Pay(const TestMerchant& m, int64_t amount = 1000, bool capture = true) {
    auto r = Post(m, "/v1/payments", PaymentJson(amount, capture));
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false).value("id", "");
  }

  // For failure messages: every delivery not yet succeeded, and the events
  // not yet routed.
  std::string Unfinished() {
    return Query(
               "SELECT string_agg(format('%s %s %s %s attempts=%s lease=%s/%s next=%s', "
               "endpoint_id, event_type, subject, state, attempts, lease_owner, "
               "lease_expires_at - now(), next_attempt_at - now()), E'\\n') "
               "FROM webhook_deliveries WHERE state <> 'succeeded'") +
           "\nunrouted: " + Query("SELECT count(*) FROM events WHERE webhooks_routed_at IS NULL") +
           "\ndeliveries: " + Query("SELECT count(*) FROM webhook_deliveries") +
           "\nevents: " + Query("SELECT count(*) FROM events");
  }

  std::string Query(const std::string& sql) {
    auto conn = db_.Connect();
    auto rows = conn->Exec(sql);
    return rows && rows->size() > 0 ? rows->String(0, 0) : "";
  }

  TestDatabase db_;
  std::unique_ptr<ServiceProcess> service_;
  std::unique_ptr<HttpClient> client_;
  TestMerchant merchant_;
};

TEST_F(WebhooksTest, EndpointsApiShowsTheSecretOnceAndKeepsMerchantsApart) {
  auto hooks = WebhookReceiver::Start();
  const json created = CreateEndpoint(merchant_, hooks->Url(), {"payment.captured"});
  const std::string id = created["id"];
  EXPECT_TRUE(id.starts_with("we_"));
  EXPECT_EQ(created["object"], "webhook_endpoint");
  EXPECT_EQ(created["status"], "enabled");
  EXPECT_TRUE(created["secret"].get<std::string>().starts_with("whsec_"));
  EXPECT_EQ(created["enabled_events"], json::array({"payment.captured"}));

  // Never again in clear: not on a read, a list, or in the database.
  auto got = json::parse(Get(merchant_, "/v1/webhook_endpoints/" + id).body);
  EXPECT_FALSE(got.contains("secret"));
  EXPECT_EQ(got["url"], hooks->Url());
  auto list = json::parse(Get(merchant_, "/v1/webhook_endpoints").body);
  ASSERT_EQ(list["data"].size(), 1u);
  EXPECT_FALSE(list["data"][0].contains("secret"));
  const std::string secret = created["secret"];
  EXPECT_EQ(Query(fmt::format("SELECT count(*) FROM webhook_endpoints WHERE "
                              "secret_sealed LIKE '%{0}%' OR secret_sealed LIKE '%{1}%'",
                              secret, secret.substr(6))),
            "0");

  // Update, disable, and another merchant sees none of it.
  auto updated =
      Post(merchant_, "/v1/webhook_endpoints/" + id,
           json{{"description", "orders"}, {"enabled_events", {"*"}}, {"disabled", true}}.dump());
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(json::parse(updated.body)["status"], "disabled");
  EXPECT_EQ(json::parse(updated.body)["description"], "orders");
  const TestMerchant other = CreateMerchant(db_.conninfo(), "Other");
  EXPECT_EQ(Get(other, "/v1/webhook_endpoints/" + id).status, 404);
  EXPECT_EQ(Post(other, "/v1/webhook_endpoints/" + id, R"({"disabled":false})").status, 404);
  EXPECT_EQ(client_
                ->Request("DELETE", "/v1/webhook_endpoints/" + id, "",
                          {{"Authorization", "Bearer " + other.key}})
                .status,
            404);
  EXPECT_EQ(json::parse(Get(other, "/v1/webhook_endpoints").body)["data"].size(), 0u);

  // Rotation shows the new secret once and keeps the old one signing a day.
  auto rotated = Post(merchant_, "/v1/webhook_endpoints/" + id + "/rotate_secret", "");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const json r = json::parse(rotated.body);
  EXPECT_NE(r["secret"], secret);
  EXPECT_GT(r["previous_secret_expires"].get<int64_t>(), std::time(nullptr) + 23 * 3600);

  auto deleted = client_->Request("DELETE", "/v1/webhook_endpoints/" + id, "",
                                  {{"Authorization", "Bearer " + merchant_.key}});
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(Get(merchant_, "/v1/webhook_endpoints/" + id).status, 404);
}

TEST_F(WebhooksTest, HostileEndpointInputIsRefusedAndChangesNothing) {
  struct Case {
    json body;
    std::string param;
  };
  const std::vector<Case> cases = {
      {{{"url", "http://user:pass@127.0.0.1:1/x"}, {"enabled_events", {"*"}}}, "url"},
      {{{"url", "http://127.0.0.1@evil.example/"}, {"enabled_events", {"*"}}}, "url"},
      {{{"url", "http://169.254.169.254/latest/meta-data"}, {"enabled_events", {"*"}}}, "url"},
      {{{"url", "http://10.0.0.1/hooks"}, {"enabled_events", {"*"}}}, "url"},
      {{{"url", "http://[::1]:8080/"}, {"enabled_events", {"*"}}}, "url"},
      {{{"url", "http://[::ffff:127.0.0.2]/"}, {"enabled_events", {"*"}}}, "url"},
      {{{"url", "http://0x7f.1/"}, {"enabled_events", {"*"}}}, "url"},
      {{{"url", "file:///etc/passwd"}, {"enabled_events", {"*"}}}, "url"},
      {{{"url", "gopher://127.0.0.1/"}, {"enabled_events", {"*"}}}, "url"},
      {{{"url", "http://127.0.0.1/a b"}, {"enabled_events", {"*"}}}, "url"},
      {{{"url", "http://127.0.0.1/?card=4242424242424242"}, {"enabled_events", {"*"}}}, "url"},
      {{{"url", "http://127.0.0.1/?card=4242%204242%204242%204242"}, {"enabled_events", {"*"}}},
       "url"},
      {{{"url", std::string(3000, 'a')}, {"enabled_events", {"*"}}}, "url"},
      {{{"url", 7}, {"enabled_events", {"*"}}}, "url"},
      {{{"url", ""}, {"enabled_events", {"*"}}}, "url"},
      {{{"enabled_events", {"*"}}}, "url"},
      {{{"url", "http://127.0.0.1:1/"}}, "enabled_events"},
      {{{"url", "http://127.0.0.1:1/"}, {"enabled_events", json::array()}}, "enabled_events"},
      {{{"url", "http://127.0.0.1:1/"}, {"enabled_events", {"payment.nope"}}}, "enabled_events[0]"},
      {{{"url", "http://127.0.0.1:1/"}, {"enabled_events", {"*", "payment.created"}}},
       "enabled_events"},
      {{{"url", "http://127.0.0.1:1/"}, {"enabled_events", {"payment.created", "payment.created"}}},
       "enabled_events[1]"},
      {{{"url", "http://127.0.0.1:1/"},
        {"enabled_events", {"*"}},
        {"description", "4242 4242 4242 4242"}},
       "description"},
      {{{"url", "http://127.0.0.1:1/"}, {"enabled_events", {"*"}}, {"secret", "whsec_mine"}},
       "secret"},
      {{{"url", "http://127.0.0.1:1/"}, {"enabled_events", {"*"}}, {"disabled", "yes"}},
       "disabled"},
  };
  for (const auto& c : cases) {
    auto r = Post(merchant_, "/v1/webhook_endpoints", c.body.dump());
    EXPECT_EQ(r.status, 400) << c.body.dump() << " -> " << r.body;
    const json e = json::parse(r.body, nullptr, false);
    EXPECT_EQ(e["error"]["param"], c.param) << c.body.dump() << " -> " << r.body;
    EXPECT_EQ(r.body.find("4242424242424242"), std::string::npos);
    EXPECT_EQ(r.body.find("pass@"), std::string::npos);
  }
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_endpoints"), "0");

  // https is required unless the operator allows http.
  service_->Signal(SIGTERM);
  ASSERT_EQ(service_->Wait(std::chrono::seconds(30)), 0);
  StartService({{"PAYMENTS_WEBHOOK_ALLOW_HTTP", "false"}});
  auto r = Post(merchant_, "/v1/webhook_endpoints",
                json{{"url", "http://127.0.0.1:1/"}, {"enabled_events", {"*"}}}.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("https"), std::string::npos) << r.body;

  // Resend of something that is not there.
  EXPECT_EQ(Post(merchant_, "/v1/events/evt_nope/resend", "").status, 404);
  EXPECT_EQ(Post(merchant_, "/v1/webhook_endpoints/we_nope/rotate_secret", "").status, 404);
  EXPECT_EQ(Get(merchant_, "/v1/webhook_endpoints/we_nope/attempts").status, 404);
}

TEST_F(WebhooksTest, AMerchantHasAtMostSixteenEndpoints) {
  for (int i = 0; i < 16; ++i) {
    ASSERT_EQ(CreateEndpoint(merchant_, fmt::format("http://127.0.0.1:{}/h", 1000 + i))["status"],
              "enabled");
  }
  auto r = Post(merchant_, "/v1/webhook_endpoints",
                json{{"url", "http://127.0.0.1:999/h"}, {"enabled_events", {"*"}}}.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "webhook_endpoint_limit");
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_endpoints"), "16");
  // Another merchant's are counted apart.
  const TestMerchant other = CreateMerchant(db_.conninfo(), "Other");
  EXPECT_EQ(CreateEndpoint(other, "http://127.0.0.1:999/h")["status"], "enabled");
}

TEST_F(WebhooksTest, ACreateRetriedWithItsKeyReturnsTheSameEndpointWithoutTheSecret) {
  auto hooks = WebhookReceiver::Start();
  const std::string body = json{{"url", hooks->Url()}, {"enabled_events", {"*"}}}.dump();
  auto first = Post(merchant_, "/v1/webhook_endpoints", body, "create-hooks-1");
  ASSERT_EQ(first.status, 200) << first.body;
  auto again = Post(merchant_, "/v1/webhook_endpoints", body, "create-hooks-1");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body)["id"], json::parse(first.body)["id"]);
  EXPECT_FALSE(json::parse(again.body).contains("secret"));
  EXPECT_EQ(again.Header("idempotent-replayed"), "true");
  auto other = Post(merchant_, "/v1/webhook_endpoints",
                    json{{"url", hooks->Url()}, {"enabled_events", {"payment.created"}}}.dump(),
                    "create-hooks-1");
  EXPECT_EQ(other.status, 422) << other.body;
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_endpoints"), "1");
}

TEST_F(WebhooksTest, DeliveriesVerifyUnderTheSpecIncludingARotatedSecret) {
  auto hooks = WebhookReceiver::Start();
  const json endpoint = CreateEndpoint(merchant_, hooks->Url());
  const std::string secret = endpoint["secret"];
  const std::string payment = Pay(merchant_);  // payment.created, payment.captured
  ASSERT_TRUE(Eventually([&] { return hooks->Count() >= 2; }, seconds(30)));
  for (const auto& d : hooks->Received()) {
    EXPECT_EQ(d.method, "POST");
    EXPECT_EQ(d.target, "/hooks");
    EXPECT_EQ(VerifyStandardWebhook(secret, d.headers, d.body), "");
    EXPECT_NE(VerifyStandardWebhook(secret, d.headers, d.body + " "), "");
    // A stale timestamp is refused by a verifier ten minutes later.
    EXPECT_NE(VerifyStandardWebhook(secret, d.headers, d.body,
                                    std::chrono::system_clock::now() + std::chrono::minutes(10)),
              "");
    // The body is the event as the API returns it, byte for byte.
    const std::string id = d.headers.at("webhook-id");
    EXPECT_TRUE(id.starts_with("evt_"));
    auto event = Get(merchant_, "/v1/events/" + id);
    EXPECT_EQ(event.body, d.body);
    EXPECT_EQ(json::parse(d.body)["subject"], payment);
    EXPECT_FALSE(d.headers.at("webhook-sequence").empty());
  }

  auto rotated =
      Post(merchant_,
           "/v1/webhook_endpoints/" + endpoint["id"].get<std::string>() + "/rotate_secret", "");
  const std::string new_secret = json::parse(rotated.body)["secret"];
  Pay(merchant_);
  ASSERT_TRUE(Eventually([&] { return hooks->Count() >= 4; }, seconds(30)));
  const auto after = hooks->Received().back();
  const std::string signatures = after.headers.at("webhook-signature");
  EXPECT_NE(signatures.find(' '), std::string::npos) << signatures;  // two, space-separated
  EXPECT_EQ(VerifyStandardWebhook(new_secret, after.headers, after.body), "");
  EXPECT_EQ(VerifyStandardWebhook(secret, after.headers, after.body), "");
  EXPECT_NE(VerifyStandardWebhook("whsec_" + std::string("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
                                  after.headers, after.body),
            "");

  // A rotation repeated (its answer lost) drops neither secret before it.
  auto again =
      Post(merchant_,
           "/v1/webhook_endpoints/" + endpoint["id"].get<std::string>() + "/rotate_secret", "");
  const std::string third = json::parse(again.body)["secret"];
  Pay(merchant_);
  ASSERT_TRUE(Eventually([&] { return hooks->Count() >= 6; }, seconds(30)));
  const auto last = hooks->Received().back();
  for (const std::string& s : {secret, new_secret, third}) {
    EXPECT_EQ(VerifyStandardWebhook(s, last.headers, last.body), "");
  }
}

TEST_F(WebhooksTest, RotatingTheSecretsKeyReSealsSecretsAndDeliveriesStillVerify) {
  const std::string key_a(40, 'a');
  const std::string key_b(40, 'b');
  service_->Signal(SIGTERM);
  ASSERT_EQ(service_->Wait(std::chrono::seconds(30)), 0);
  StartService({{"PAYMENTS_WEBHOOK_SECRETS_KEY", key_a}});
  auto hooks = WebhookReceiver::Start();
  const json endpoint = CreateEndpoint(merchant_, hooks->Url(), {"payment.captured"});
  const std::string secret = endpoint["secret"];
  const std::string sealed_a = Query("SELECT secret_sealed FROM webhook_endpoints");

  // The new key, with the old one as previous: secrets sealed under either
  // open; the CLI re-seals the old ones.
  service_->Signal(SIGTERM);
  ASSERT_EQ(service_->Wait(std::chrono::seconds(30)), 0);
  StartService(
      {{"PAYMENTS_WEBHOOK_SECRETS_KEY", key_b}, {"PAYMENTS_WEBHOOK_SECRETS_KEY_PREVIOUS", key_a}});
  Pay(merchant_);
  ASSERT_TRUE(Eventually([&] { return hooks->Count() == 1; }, seconds(30)));
  EXPECT_EQ(Query("SELECT secret_sealed FROM webhook_endpoints"), sealed_a);
  auto nothing = RunPayments({"webhooks", "reseal"}, Env{{"PAYMENTS_DATABASE_URL", db_.conninfo()},
                                                         {"PAYMENTS_WEBHOOK_SECRETS_KEY", key_b}});
  EXPECT_EQ(nothing.exit_code, 2) << nothing.err;
  auto reseal =
      RunPayments({"webhooks", "reseal"}, Env{{"PAYMENTS_DATABASE_URL", db_.conninfo()},
                                              {"PAYMENTS_WEBHOOK_SECRETS_KEY", key_b},
                                              {"PAYMENTS_WEBHOOK_SECRETS_KEY_PREVIOUS", key_a}});
  EXPECT_EQ(reseal.exit_code, 0) << reseal.err;
  EXPECT_NE(reseal.out.find("1 endpoints re-sealed"), std::string::npos) << reseal.out;
  EXPECT_NE(Query("SELECT secret_sealed FROM webhook_endpoints"), sealed_a);
  EXPECT_EQ(reseal.out.find(secret), std::string::npos);
  // Without the previous key now: the re-sealed secret still signs.
  service_->Signal(SIGTERM);
  ASSERT_EQ(service_->Wait(std::chrono::seconds(30)), 0);
  StartService({{"PAYMENTS_WEBHOOK_SECRETS_KEY", key_b}});
  Pay(merchant_);
  ASSERT_TRUE(Eventually([&] { return hooks->Count() == 2; }, seconds(30)));
  for (const auto& d : hooks->Received()) {
    EXPECT_EQ(VerifyStandardWebhook(secret, d.headers, d.body), "");
  }
}

TEST_F(WebhooksTest, FailuresAreRetriedOnTheScheduleAndShownAsAttempts) {
  auto hooks = WebhookReceiver::Start(FailTimesThenSucceed(2, 500));
  const json endpoint = CreateEndpoint(merchant_, hooks->Url(), {"payment.captured"});
  Pay(merchant_);
  ASSERT_TRUE(Eventually([&] { return hooks->Count() == 3; }, seconds(30)));
  const auto got = hooks->Received();
  EXPECT_EQ(got[0].headers.at("webhook-id"), got[2].headers.at("webhook-id"));
  EXPECT_EQ(json::parse(got[2].body)["type"], "payment.captured");
  const std::string path =
      "/v1/webhook_endpoints/" + endpoint["id"].get<std::string>() + "/attempts";
  json attempts;
  ASSERT_TRUE(Eventually(
      [&] {
        attempts = json::parse(Get(merchant_, path).body, nullptr, false);
        return attempts["data"].size() == 3;
      },
      seconds(30)))
      << attempts.dump();
  // Newest first: the success, then two failures with their next retry.
  EXPECT_EQ(attempts["data"][0]["status_code"], 200);
  EXPECT_TRUE(attempts["data"][0]["next_retry_at"].is_null());
  for (int i : {1, 2}) {
    EXPECT_EQ(attempts["data"][i]["status_code"], 500);
    EXPECT_EQ(attempts["data"][i]["error"], "the endpoint answered 500");
    EXPECT_FALSE(attempts["data"][i]["next_retry_at"].is_null());
  }
  auto page = json::parse(Get(merchant_, path + "?limit=1&starting_after=" +
                                             attempts["data"][0]["id"].get<std::string>())
                              .body);
  EXPECT_EQ(page["data"][0]["id"], attempts["data"][1]["id"]);
  EXPECT_TRUE(page["has_more"]);

  HttpClient admin(service_->admin_port());
  const PromParse metrics = ParsePrometheus(admin.Get("/metrics").body);
  EXPECT_TRUE(metrics.errors.empty());
  EXPECT_TRUE(metrics.Has("payments_webhook_endpoint_oldest_pending_age_seconds"));
  EXPECT_GE(metrics.Value("payments_webhook_deliveries_total", {{"outcome", "succeeded"}}), 1);
  EXPECT_GE(metrics.Value("payments_webhook_deliveries_total", {{"outcome", "failed"}}), 2);
}

TEST_F(WebhooksTest, AFailingDeliveryIsGivenUpAfterTheLastStepAndTheNextEventFollows) {
  // Fails every attempt of the first event (4: the first and 3 retries),
  // then succeeds: the payment's later event waited for the first to be
  // given up.
  auto hooks = WebhookReceiver::Start(FailTimesThenSucceed(4, 502));
  CreateEndpoint(merchant_, hooks->Url());
  Pay(merchant_);
  ASSERT_TRUE(Eventually([&] { return hooks->Count() == 5; }, seconds(30)));
  const auto got = hooks->Received();
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(got[i].headers.at("webhook-id"), got[0].headers.at("webhook-id"));
  }
  EXPECT_EQ(json::parse(got[0].body)["type"], "payment.created");
  EXPECT_EQ(json::parse(got[4].body)["type"], "payment.captured");
  EXPECT_TRUE(Eventually([&] {
    return Query("SELECT string_agg(state, ',' ORDER BY event_seq) FROM webhook_deliveries") ==
           "failed,succeeded";
  }));
}

TEST_F(WebhooksTest, RetryAfterOn429IsHonoured) {
  auto hooks = WebhookReceiver::Start(RetryAfter(429, "2", 1));
  CreateEndpoint(merchant_, hooks->Url(), {"payment.captured"});
  Pay(merchant_);
  ASSERT_TRUE(Eventually([&] { return hooks->Count() == 2; }, seconds(30)));
  const auto got = hooks->Received();
  EXPECT_GE(got[1].at - got[0].at, std::chrono::milliseconds(1900));  // not the 100 ms schedule
}

TEST_F(WebhooksTest, A410DisablesTheEndpoint) {
  auto hooks = WebhookReceiver::Start(AlwaysStatus(410));
  const json endpoint = CreateEndpoint(merchant_, hooks->Url(), {"payment.captured"});
  const std::string path = "/v1/webhook_endpoints/" + endpoint["id"].get<std::string>();
  Pay(merchant_);
  json e;
  ASSERT_TRUE(Eventually(
      [&] {
        e = json::parse(Get(merchant_, path).body);
        return e["status"] == "disabled";
      },
      seconds(30)));
  EXPECT_EQ(e["disabled_reason"], "the endpoint answered 410 Gone");
  // A disabled endpoint gets no new deliveries.
  Pay(merchant_);
  ASSERT_TRUE(Eventually([&] {
    return Query("SELECT count(*) FROM events WHERE webhooks_routed_at IS NULL") == "0";
  }));
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_deliveries"), "1");
  EXPECT_EQ(hooks->Count(), 1u);
}

TEST_F(WebhooksTest, AnEndpointThatNeverAnswersDelaysNoOtherAndItsCircuitOpens) {
  auto dead = WebhookReceiver::Start(NeverAnswer());
  auto alive = WebhookReceiver::Start();
  const json dead_endpoint = CreateEndpoint(merchant_, dead->Url());
  CreateEndpoint(merchant_, alive->Url());
  const TestMerchant other = CreateMerchant(db_.conninfo(), "Other");
  auto other_hooks = WebhookReceiver::Start();
  CreateEndpoint(other, other_hooks->Url());
  for (int i = 0; i < 20; ++i) {
    Pay(merchant_);
    Pay(other);
  }
  // Everyone else gets everything while the dead endpoint holds its share.
  EXPECT_TRUE(
      Eventually([&] { return alive->Count() >= 40 && other_hooks->Count() >= 40; }, seconds(30)));
  // At most its concurrency of the dead endpoint's requests were open at once.
  EXPECT_LE(dead->Connections(), 4 * 3);
  json e;
  EXPECT_TRUE(Eventually(
      [&] {
        e = json::parse(
            Get(merchant_, "/v1/webhook_endpoints/" + dead_endpoint["id"].get<std::string>()).body);
        return !e["circuit"]["open_until"].is_null();
      },
      seconds(30)))
      << e.dump();
  EXPECT_GE(e["circuit"]["failure_streak"].get<int>(), 5);
}

TEST_F(WebhooksTest, ADeliveryInFlightWhenTheServiceIsKilledIsDeliveredAfterItsLease) {
  std::atomic<bool> hold{true};
  auto hooks = WebhookReceiver::Start([&](const ReceivedWebhook&, int n) {
    WebhookReply r;
    r.never_answer = n == 0 && hold.load();
    return r;
  });
  CreateEndpoint(merchant_, hooks->Url(), {"payment.captured"});
  Pay(merchant_);
  ASSERT_TRUE(Eventually([&] { return hooks->Count() == 1; }, seconds(30)));
  service_->Signal(SIGKILL);
  service_->Wait(std::chrono::seconds(10));
  EXPECT_EQ(Query("SELECT count(*) FROM webhook_deliveries WHERE lease_owner IS NOT NULL"), "1");
  StartService();
  ASSERT_TRUE(Eventually([&] { return hooks->Count() == 2; }, seconds(30)));
  const auto got = hooks->Received();
  EXPECT_EQ(got[0].headers.at("webhook-id"), got[1].headers.at("webhook-id"));
  EXPECT_TRUE(Eventually([&] {
    return Query("SELECT string_agg(state, ',') FROM webhook_deliveries") == "succeeded";
  }));
}

// Two instances on one database share the deliveries: each event once (no
// fault, so no lease runs out), some by each instance.
TEST_F(WebhooksTest, TwoInstancesShareTheDeliveriesWithoutDoingAnyTwice) {
  service_->Signal(SIGTERM);
  ASSERT_EQ(service_->Wait(std::chrono::seconds(30)), 0);
  Env env = ServiceEnv();
  env["PAYMENTS_WEBHOOK_LEASE"] = "30000";
  auto a = ServiceProcess::Start(env);
  auto b = ServiceProcess::Start(env);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  client_ = std::make_unique<HttpClient>(a->public_port());
  std::vector<std::unique_ptr<WebhookReceiver>> hooks;
  for (int i = 0; i < 3; ++i) {
    hooks.push_back(WebhookReceiver::Start());
    CreateEndpoint(merchant_, hooks.back()->Url());
  }
  for (int i = 0; i < 100; ++i) Pay(merchant_);
  const size_t want = 200;  // payment.created and payment.captured each
  for (auto& h : hooks) {
    ASSERT_TRUE(Eventually([&] { return h->Count() >= want; }, seconds(60))) << h->Count() << "\n"
                                                                             << Unfinished();
  }
  for (auto& h : hooks) {
    std::set<std::string> ids;
    for (const auto& d : h->Received()) {
      EXPECT_TRUE(ids.insert(d.headers.at("webhook-id")).second) << "delivered twice";
    }
    EXPECT_EQ(ids.size(), want);
  }
  auto succeeded = [](ServiceProcess& s) {
    HttpClient admin(s.admin_port());
    return ParsePrometheus(admin.Get("/metrics").body)
        .Value("payments_webhook_deliveries_total", {{"outcome", "succeeded"}});
  };
  // A receiver has the request before the instance records the attempt.
  double by_a = 0;
  double by_b = 0;
  EXPECT_TRUE(Eventually([&] {
    by_a = succeeded(*a);
    by_b = succeeded(*b);
    return by_a + by_b == 3 * want;
  })) << by_a
      << " + " << by_b;
  EXPECT_GT(by_a, 0);
  EXPECT_GT(by_b, 0);
}

TEST_F(WebhooksTest, ResendDeliversAnEventAgainFromTheApiAndTheCli) {
  auto hooks = WebhookReceiver::Start();
  const json endpoint = CreateEndpoint(merchant_, hooks->Url(), {"payment.captured"});
  Pay(merchant_);
  ASSERT_TRUE(Eventually([&] { return hooks->Count() == 1; }, seconds(30)));
  const std::string event = hooks->Received()[0].headers.at("webhook-id");
  auto r = Post(merchant_, "/v1/events/" + event + "/resend", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["deliveries"], 1);
  ASSERT_TRUE(Eventually([&] { return hooks->Count() == 2; }, seconds(30)));

  const Env db = {{"PAYMENTS_DATABASE_URL", db_.conninfo()}};
  auto cli = RunPayments({"webhooks", "resend", event, "--endpoint", endpoint["id"]}, db);
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  ASSERT_TRUE(Eventually([&] { return hooks->Count() == 3; }, seconds(30)));
  for (const auto& d : hooks->Received()) EXPECT_EQ(d.headers.at("webhook-id"), event);

  auto list = RunPayments({"webhooks", "list", "--json"}, db);
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find(endpoint["id"].get<std::string>()), std::string::npos);
  auto attempts = RunPayments({"webhooks", "attempts", endpoint["id"], "--json"}, db);
  EXPECT_EQ(attempts.exit_code, 0) << attempts.err;
  EXPECT_NE(attempts.out.find(event), std::string::npos);
  auto bad = RunPayments({"webhooks", "attempts", "we_nope"}, db);
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

// Three endpoints of two merchants, 1,000 events or more each: every event
// id arrives at least once, in order per payment, and only where subscribed.
TEST_F(WebhooksTest, ThousandsOfEventsArriveInOrderPerPaymentAndOnlyWhereSubscribed) {
  const TestMerchant m2 = CreateMerchant(db_.conninfo(), "Second");
  auto all1 = WebhookReceiver::Start();
  auto some1 = WebhookReceiver::Start();
  auto all2 = WebhookReceiver::Start();
  const json some_types = {"payment.created", "payment.captured", "refund.created"};
  CreateEndpoint(merchant_, all1->Url());
  CreateEndpoint(merchant_, some1->Url(), some_types);
  CreateEndpoint(m2, all2->Url());
  // Each: created, captured, refund.created, payment.refunded. A few hot
  // payments get many events: authorized, captured, then five refunds.
  auto cycle = [&](const TestMerchant& m) {
    const std::string id = Pay(m, 5000);
    auto r = Post(m, "/v1/payments/" + id + "/refunds", json{{"amount", 100}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
  };
  for (int i = 0; i < 5; ++i) {
    const std::string id = Pay(merchant_, 10000, /*capture=*/false);
    ASSERT_EQ(Post(merchant_, "/v1/payments/" + id + "/capture", "").status, 200);
    for (int k = 0; k < 5; ++k) {
      ASSERT_EQ(
          Post(merchant_, "/v1/payments/" + id + "/refunds", json{{"amount", 100}}.dump()).status,
          200);
    }
  }
  for (int i = 0; i < 330; ++i) cycle(merchant_);
  for (int i = 0; i < 250; ++i) cycle(m2);

  struct Expected {
    std::vector<std::string> ids;
    std::map<std::string, std::vector<std::string>> by_subject;  // in seq order
  };
  auto expected = [&](const std::string& merchant_id, bool all) {
    Expected e;
    auto conn = db_.Connect();
    auto rows =
        conn->Exec("SELECT id, subject, type FROM events WHERE merchant_id = $1 ORDER BY seq",
                   db::Params().Add(merchant_id));
    EXPECT_TRUE(rows);
    for (int r = 0; rows && r < rows->size(); ++r) {
      const std::string type = rows->String(r, 2);
      if (!all && std::find(some_types.begin(), some_types.end(), type) == some_types.end()) {
        continue;
      }
      e.ids.push_back(rows->String(r, 0));
      e.by_subject[rows->String(r, 1)].push_back(rows->String(r, 0));
    }
    return e;
  };
  const Expected want_all1 = expected(merchant_.id, true);
  const Expected want_some1 = expected(merchant_.id, false);
  const Expected want_all2 = expected(m2.id, true);
  EXPECT_GE(want_all1.ids.size(), 1000u);
  EXPECT_GE(want_some1.ids.size(), 1000u);
  EXPECT_GE(want_all2.ids.size(), 1000u);

  auto check = [&](WebhookReceiver& hooks, const Expected& want, const char* name) {
    std::set<std::string> wanted(want.ids.begin(), want.ids.end());
    std::set<std::string> seen;
    ASSERT_TRUE(Eventually(
        [&] {
          seen.clear();
          for (const auto& d : hooks.Received()) seen.insert(d.headers.at("webhook-id"));
          return seen.size() >= wanted.size();
        },
        seconds(180)))
        << name << ": " << seen.size() << " of " << wanted.size();
    EXPECT_EQ(seen, wanted) << name;  // nothing it did not subscribe to, nothing of the other
    // Per payment, the first arrival of each event is in the events' order.
    std::map<std::string, std::vector<std::string>> first_arrivals;
    std::set<std::string> arrived;
    for (const auto& d : hooks.Received()) {
      const std::string id = d.headers.at("webhook-id");
      if (!arrived.insert(id).second) continue;
      first_arrivals[json::parse(d.body)["subject"].get<std::string>()].push_back(id);
    }
    EXPECT_EQ(first_arrivals, want.by_subject) << name;
  };
  check(*all1, want_all1, "all events of merchant 1");
  check(*some1, want_some1, "some events of merchant 1");
  check(*all2, want_all2, "all events of merchant 2");
}

}  // namespace
}  // namespace payments::testing
