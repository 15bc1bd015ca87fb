// The test side of webhook deliveries, checked on its own before any test
// trusts it: the Standard Webhooks verifier (support/standard_webhooks_verifier.h)
// against the specification's published test vector and what it must refuse,
// and the merchant endpoint (support/webhook_receiver.h) with plain clients:
// each ready-made behaviour, keep-alive and Connection: close, concurrent
// connections, 1 MiB bodies, TLS, and a Stop() that returns while connections
// are held open. Needs no database.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/eventually.h"
#include "support/http_client.h"
#include "support/raw_connection.h"
#include "support/standard_webhooks_verifier.h"
#include "support/test_certificates.h"
#include "support/tls_client.h"
#include "support/webhook_receiver.h"

namespace payments::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

// The test vector the Standard Webhooks reference libraries all check.
constexpr const char* kVectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kVectorId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kVectorTimestamp = 1614265330;
constexpr const char* kVectorBody = R"({"test": 2432232314})";
constexpr const char* kVectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

// Another key, for rotation: base64 of 32 bytes 0x01..0x20.
constexpr const char* kOtherSecret = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

Clock::time_point At(int64_t unix_seconds) {
  return Clock::time_point(std::chrono::seconds(unix_seconds));
}

std::map<std::string, std::string> VectorHeaders(std::string signature = kVectorSignature) {
  return {{"webhook-id", kVectorId},
          {"webhook-timestamp", std::to_string(kVectorTimestamp)},
          {"webhook-signature", std::move(signature)}};
}

std::string VerifyVector(const std::map<std::string, std::string>& headers,
                         std::string_view body = kVectorBody,
                         Clock::time_point now = At(kVectorTimestamp)) {
  return VerifyStandardWebhook(kVectorSecret, headers, body, now);
}

// --- The verifier ----------------------------------------------------------------

TEST(StandardWebhooksVerifier, SignsTheSpecificationsTestVector) {
  EXPECT_EQ(SignStandardWebhook(kVectorSecret, kVectorId, kVectorTimestamp, kVectorBody),
            kVectorSignature);
}

TEST(StandardWebhooksVerifier, VerifiesTheSpecificationsTestVector) {
  EXPECT_EQ(VerifyVector(VectorHeaders()), "");
}

TEST(StandardWebhooksVerifier, RefusesATamperedBodyIdOrTimestamp) {
  EXPECT_EQ(VerifyVector(VectorHeaders(), R"({"test": 2432232315})"), "no matching signature");
  EXPECT_EQ(VerifyVector(VectorHeaders(), std::string(kVectorBody) + " "), "no matching signature");
  auto headers = VectorHeaders();
  headers["webhook-id"] = "msg_p5jXN8AQM9LWM0D4loKWxJeK";
  EXPECT_EQ(VerifyVector(headers), "no matching signature");
  headers = VectorHeaders();
  headers["webhook-timestamp"] = std::to_string(kVectorTimestamp + 1);
  EXPECT_EQ(VerifyVector(headers), "no matching signature");
  // The right signature under another secret.
  EXPECT_EQ(VerifyStandardWebhook(kOtherSecret, VectorHeaders(), kVectorBody, At(kVectorTimestamp)),
            "no matching signature");
}

TEST(StandardWebhooksVerifier, EitherSecretVerifiesWhileOneIsRotated) {
  const std::string old_signature =
      SignStandardWebhook(kVectorSecret, kVectorId, kVectorTimestamp, kVectorBody);
  const std::string new_signature =
      SignStandardWebhook(kOtherSecret, kVectorId, kVectorTimestamp, kVectorBody);
  ASSERT_NE(new_signature, "");
  ASSERT_NE(new_signature, old_signature);
  for (const std::string& list :
       {old_signature + " " + new_signature, new_signature + " " + old_signature}) {
    const auto headers = VectorHeaders(list);
    EXPECT_EQ(VerifyStandardWebhook(kVectorSecret, headers, kVectorBody, At(kVectorTimestamp)), "")
        << list;
    EXPECT_EQ(VerifyStandardWebhook(kOtherSecret, headers, kVectorBody, At(kVectorTimestamp)), "")
        << list;
    EXPECT_EQ(VerifyStandardWebhook("whsec_" + std::string(44, 'A'), headers, kVectorBody,
                                    At(kVectorTimestamp)),
              "no matching signature");
  }
}

TEST(StandardWebhooksVerifier, RefusesAStaleTimestamp) {
  EXPECT_EQ(VerifyVector(VectorHeaders(), kVectorBody, At(kVectorTimestamp + 300)), "");
  EXPECT_EQ(VerifyVector(VectorHeaders(), kVectorBody, At(kVectorTimestamp + 300) + 1ms),
            "timestamp too old");
  EXPECT_EQ(VerifyVector(VectorHeaders(), kVectorBody, At(kVectorTimestamp + 301)),
            "timestamp too old");
  EXPECT_EQ(VerifyVector(VectorHeaders(), kVectorBody, Clock::now()), "timestamp too old");
  // A tolerance of the test's choosing.
  EXPECT_EQ(VerifyStandardWebhook(kVectorSecret, VectorHeaders(), kVectorBody,
                                  At(kVectorTimestamp + 11), 10s),
            "timestamp too old");
  EXPECT_EQ(VerifyStandardWebhook(kVectorSecret, VectorHeaders(), kVectorBody,
                                  At(kVectorTimestamp + 10), 10s),
            "");
}

TEST(StandardWebhooksVerifier, RefusesAFutureTimestamp) {
  EXPECT_EQ(VerifyVector(VectorHeaders(), kVectorBody, At(kVectorTimestamp - 300)), "");
  EXPECT_EQ(VerifyVector(VectorHeaders(), kVectorBody, At(kVectorTimestamp - 300) - 1ms),
            "timestamp too new");
  EXPECT_EQ(VerifyVector(VectorHeaders(), kVectorBody, At(kVectorTimestamp - 301)),
            "timestamp too new");
  // Signed now, checked against now: passes; an hour ahead: refused.
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
  std::map<std::string, std::string> headers = {
      {"webhook-id", "msg_1"},
      {"webhook-timestamp", std::to_string(now)},
      {"webhook-signature", SignStandardWebhook(kVectorSecret, "msg_1", now, "{}")}};
  EXPECT_EQ(VerifyStandardWebhook(kVectorSecret, headers, "{}"), "");
  headers["webhook-timestamp"] = std::to_string(now + 3600);
  headers["webhook-signature"] = SignStandardWebhook(kVectorSecret, "msg_1", now + 3600, "{}");
  EXPECT_EQ(VerifyStandardWebhook(kVectorSecret, headers, "{}"), "timestamp too new");
}

TEST(StandardWebhooksVerifier, RefusesMissingHeaders) {
  for (const std::string& name :
       std::vector<std::string>{"webhook-id", "webhook-timestamp", "webhook-signature"}) {
    auto headers = VectorHeaders();
    headers.erase(name);
    EXPECT_EQ(VerifyVector(headers), "missing " + name);
    headers[name] = "";
    EXPECT_EQ(VerifyVector(headers), "missing " + name);
  }
  // Names are looked up lower-case, as the receiver records them.
  auto headers = VectorHeaders();
  headers.erase("webhook-id");
  headers["Webhook-Id"] = kVectorId;
  EXPECT_EQ(VerifyVector(headers), "missing webhook-id");
}

TEST(StandardWebhooksVerifier, RefusesATimestampThatIsNotIntegerSeconds) {
  for (const std::string& value : std::vector<std::string>{
           "1614265330.0", "1614265330.5", "1614265330e0", " 1614265330", "1614265330 ",
           "+1614265330", "-1", "0x603828F2", "abc", "99999999999999999999999"}) {
    auto headers = VectorHeaders();
    headers["webhook-timestamp"] = value;
    EXPECT_EQ(VerifyVector(headers), "invalid webhook-timestamp") << value;
  }
  // Milliseconds are integers, but far in the future as seconds.
  auto headers = VectorHeaders();
  headers["webhook-timestamp"] = "1614265330000";
  EXPECT_EQ(VerifyVector(headers), "timestamp too new");
}

TEST(StandardWebhooksVerifier, IgnoresMalformedEntriesAndOtherVersions) {
  const std::string good = kVectorSignature;
  const std::string b64 = good.substr(3);
  // Entries that never match on their own.
  for (const std::string& list : std::vector<std::string>{
           "v2," + b64,                                        // another version
           "V1," + b64,                                        // versions are case-sensitive
           "v1a," + b64,                                       //
           "v1",                                               // no comma
           "v1,",                                              // no signature
           "v1;" + b64,                                        //
           b64,                                                // no version
           "v1," + b64.substr(0, b64.size() - 1),              // not a multiple of 4
           "v1," + b64.substr(0, b64.size() - 4),              // 30 bytes
           "v1," + b64 + "AAAA",                               // 35 bytes
           "v1," + std::string("!") + b64.substr(1),           // not base64
           "v1,=" + b64.substr(1),                             // padding first
           "v1, " + b64,                                       // a blank after the comma
           "v1," + b64 + ",x",                                 // trailing text
           "v1,g0hM9SsE-OTPJTGt_tmIKtSyZlE3uFJELVlNIOLJ1OE=",  // URL-safe alphabet
           "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE",   // padding dropped
           "v1," + b64 + "\tv2,x",                             // tabs do not delimit
           "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",  // well formed, wrong
       }) {
    EXPECT_NE(VerifyVector(VectorHeaders(list)), "") << list;
    EXPECT_TRUE(VerifyVector(VectorHeaders(list)).starts_with("no matching signature")) << list;
  }
  EXPECT_EQ(VerifyVector(VectorHeaders("v1")), "no matching signature (1 malformed entry)");
  EXPECT_EQ(VerifyVector(VectorHeaders("v1, v1,x v2,y")),
            "no matching signature (2 malformed entries)");
  // Beside a good entry they do no harm; extra blanks delimit nothing.
  for (const std::string& list : std::vector<std::string>{
           "v2," + b64 + " " + good,
           "v1 v1, v1,!!!! " + good + " v1a,x",
           "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= " + good,
           "  " + good + "  ",
           "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=   " + good,
       }) {
    EXPECT_EQ(VerifyVector(VectorHeaders(list)), "") << list;
  }
}

TEST(StandardWebhooksVerifier, RefusesASecretThatIsNotWhsecBase64) {
  for (const std::string& secret : std::vector<std::string>{
           "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
           "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!"}) {
    EXPECT_EQ(VerifyStandardWebhook(secret, VectorHeaders(), kVectorBody, At(kVectorTimestamp)),
              "invalid secret")
        << secret;
    EXPECT_EQ(SignStandardWebhook(secret, kVectorId, kVectorTimestamp, kVectorBody), "") << secret;
  }
}

// --- The receiver ----------------------------------------------------------------

TEST(WebhookReceiver, RecordsWhatArrivesAndAnswers200ByDefault) {
  auto hooks = WebhookReceiver::Start();
  ASSERT_NE(hooks, nullptr);
  EXPECT_EQ(hooks->Url(), "http://127.0.0.1:" + std::to_string(hooks->port()) + "/hooks");
  EXPECT_EQ(hooks->Url("/m/1"), "http://127.0.0.1:" + std::to_string(hooks->port()) + "/m/1");

  const auto before = Clock::now();
  HttpClient c(hooks->port(), 10s);
  auto r = c.Post("/hooks?x=1", R"({"type":"payment.succeeded"})",
                  {{"Content-Type", "application/json"}, {"Webhook-Id", "msg_1"}});
  EXPECT_EQ(r.status, 200);
  r = c.Request("PUT", "/other", "", {{"X-Repeat", "a"}});
  EXPECT_EQ(r.status, 200);

  ASSERT_EQ(hooks->Count(), 2u);
  const auto got = hooks->Received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/hooks?x=1");
  EXPECT_EQ(got[0].body, R"({"type":"payment.succeeded"})");
  EXPECT_EQ(got[0].headers.at("webhook-id"), "msg_1");
  EXPECT_EQ(got[0].headers.at("content-type"), "application/json");
  EXPECT_EQ(got[0].headers.at("content-length"), "28");
  EXPECT_FALSE(got[0].headers.contains("Webhook-Id"));
  EXPECT_GE(got[0].at, before);
  EXPECT_LE(got[0].at, got[1].at);
  EXPECT_EQ(got[1].method, "PUT");
  EXPECT_EQ(got[1].target, "/other");
  EXPECT_EQ(got[1].body, "");
  // One keep-alive connection carried both.
  EXPECT_EQ(hooks->Connections(), 1);
  EXPECT_EQ(c.connections_opened(), 1);
}

TEST(WebhookReceiver, JoinsRepeatedHeaders) {
  auto hooks = WebhookReceiver::Start();
  ASSERT_NE(hooks, nullptr);
  RawConnection raw(hooks->port());
  ASSERT_TRUE(raw.Send(
      "POST /hooks HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 2\r\n\r\n{}"));
  EXPECT_EQ(raw.ReadResponse(10s).status, 200);
  ASSERT_EQ(hooks->Count(), 1u);
  EXPECT_EQ(hooks->Received()[0].headers.at("x-a"), "1, 2");
}

TEST(WebhookReceiver, HonoursConnectionClose) {
  auto hooks = WebhookReceiver::Start();
  ASSERT_NE(hooks, nullptr);
  HttpClient c(hooks->port(), 10s);
  for (int i = 0; i < 3; ++i) {
    auto r = c.Post("/hooks", "{}", {{"Connection", "close"}});
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.connection_closed);
    EXPECT_EQ(r.Header("connection"), "close");
  }
  EXPECT_EQ(hooks->Count(), 3u);
  EXPECT_EQ(hooks->Connections(), 3);

  // HTTP/1.0 without keep-alive is closed after its answer too.
  RawConnection raw(hooks->port());
  ASSERT_TRUE(raw.Send("POST /hooks HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}"));
  std::string out;
  EXPECT_TRUE(raw.ReadUntilClosed(10s, &out));
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200")) << out;
}

TEST(WebhookReceiver, AlwaysStatus) {
  auto hooks = WebhookReceiver::Start(AlwaysStatus(410));
  ASSERT_NE(hooks, nullptr);
  HttpClient c(hooks->port(), 10s);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.Post("/hooks", "{}").status, 410);
  EXPECT_EQ(hooks->Count(), 3u);
  EXPECT_EQ(hooks->Connections(), 1);  // an error status does not close the connection
}

TEST(WebhookReceiver, FailTimesThenSucceed) {
  auto hooks = WebhookReceiver::Start(FailTimesThenSucceed(2));
  ASSERT_NE(hooks, nullptr);
  HttpClient c(hooks->port(), 10s);
  EXPECT_EQ(c.Post("/hooks", "{}").status, 500);
  EXPECT_EQ(c.Post("/hooks", "{}").status, 500);
  EXPECT_EQ(c.Post("/hooks", "{}").status, 200);
  EXPECT_EQ(c.Post("/hooks", "{}").status, 200);

  auto other = WebhookReceiver::Start(FailTimesThenSucceed(1, 503));
  ASSERT_NE(other, nullptr);
  HttpClient c2(other->port(), 10s);
  EXPECT_EQ(c2.Post("/hooks", "{}").status, 503);
  EXPECT_EQ(c2.Post("/hooks", "{}").status, 200);
}

TEST(WebhookReceiver, RetryAfter) {
  auto hooks = WebhookReceiver::Start(RetryAfter(429, "2", 2));
  ASSERT_NE(hooks, nullptr);
  HttpClient c(hooks->port(), 10s);
  for (int i = 0; i < 2; ++i) {
    auto r = c.Post("/hooks", "{}");
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(r.Header("retry-after"), "2");
  }
  auto r = c.Post("/hooks", "{}");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("retry-after"), "");

  auto dated = WebhookReceiver::Start(RetryAfter(503, "Wed, 21 Oct 2015 07:28:00 GMT", 1));
  ASSERT_NE(dated, nullptr);
  HttpClient c2(dated->port(), 10s);
  r = c2.Post("/hooks", "{}");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Header("retry-after"), "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(c2.Post("/hooks", "{}").status, 200);
}

TEST(WebhookReceiver, ACustomBehaviourSeesTheRequestAndItsNumber) {
  auto hooks = WebhookReceiver::Start([](const ReceivedWebhook& request, int n) {
    return WebhookReply{
        .status = request.target == "/gone" ? 410 : 202,
        .headers = {{"X-N", std::to_string(n)}, {"X-Id", request.headers.at("webhook-id")}},
        .body = "got " + request.body};
  });
  ASSERT_NE(hooks, nullptr);
  HttpClient c(hooks->port(), 10s);
  auto r = c.Post("/hooks", "one", {{"Webhook-Id", "a"}});
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, "got one");
  EXPECT_EQ(r.Header("x-n"), "0");
  EXPECT_EQ(r.Header("x-id"), "a");
  r = c.Post("/gone", "two", {{"Webhook-Id", "b"}});
  EXPECT_EQ(r.status, 410);
  EXPECT_EQ(r.Header("x-n"), "1");
  // A behaviour that throws answers 500; the request still counts.
  auto throwing = WebhookReceiver::Start(
      [](const ReceivedWebhook&, int) -> WebhookReply { throw std::runtime_error("boom"); });
  ASSERT_NE(throwing, nullptr);
  HttpClient c2(throwing->port(), 10s);
  EXPECT_EQ(c2.Post("/hooks", "{}").status, 500);
  EXPECT_EQ(throwing->Count(), 1u);
}

TEST(WebhookReceiver, TakesABodyOfOneMebibyteAndRefusesALargerOne) {
  auto hooks = WebhookReceiver::Start();
  ASSERT_NE(hooks, nullptr);
  HttpClient c(hooks->port(), 30s);
  std::string body(1024 * 1024, 'x');
  for (size_t i = 0; i < body.size(); i += 997) body[i] = static_cast<char>('a' + i % 26);
  EXPECT_EQ(c.Post("/hooks", body).status, 200);
  ASSERT_EQ(hooks->Count(), 1u);
  EXPECT_EQ(hooks->Received()[0].body, body);

  auto r = c.Post("/hooks", body + "y");
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(r.connection_closed);
  EXPECT_EQ(hooks->Count(), 1u);
}

TEST(WebhookReceiver, ServesManyConnectionsAtOnce) {
  constexpr int kClients = 16;
  // Every request waits until all of them have arrived: a server that took
  // one connection at a time would answer none of them 200.
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  auto hooks = WebhookReceiver::Start([&](const ReceivedWebhook&, int) {
    std::unique_lock lock(mu);
    ++arrived;
    cv.notify_all();
    const bool all = cv.wait_for(lock, 30s, [&] { return arrived >= kClients; });
    return WebhookReply{.status = all ? 200 : 503};
  });
  ASSERT_NE(hooks, nullptr);
  std::vector<int> statuses(kClients, 0);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      HttpClient c(hooks->port(), 60s);
      statuses[i] = c.Post("/hooks", "{\"n\":" + std::to_string(i) + "}").status;
    });
  }
  for (auto& t : clients) t.join();
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(statuses[i], 200) << i;
  EXPECT_EQ(hooks->Count(), static_cast<size_t>(kClients));
  EXPECT_EQ(hooks->Connections(), kClients);
  std::set<std::string> bodies;
  for (const auto& w : hooks->Received()) bodies.insert(w.body);
  EXPECT_EQ(bodies.size(), static_cast<size_t>(kClients));
}

TEST(WebhookReceiver, NeverAnswerHoldsTheConnectionAndStopReturns) {
  // Declared first, so that a failed assertion stops the receiver before the
  // client is joined.
  http::ClientResponse response;
  std::atomic<bool> answered{false};
  std::jthread client;
  auto hooks = WebhookReceiver::Start(NeverAnswer());
  ASSERT_NE(hooks, nullptr);
  client = std::jthread([&] {
    HttpClient c(hooks->port(), 120s);
    response = c.Post("/hooks", "{}");
    answered = true;
  });
  // Beside it: a connection that sent nothing, and one halfway through its head.
  RawConnection idle(hooks->port());
  RawConnection half(hooks->port());
  ASSERT_TRUE(half.Send("POST /hooks HTTP/1.1\r\nHost: x\r\nContent-Le"));
  ASSERT_TRUE(Eventually([&] { return hooks->Count() == 1 && hooks->Connections() == 3; }, 30s));
  EXPECT_FALSE(answered.load());

  const auto start = std::chrono::steady_clock::now();
  hooks->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  client.join();
  EXPECT_TRUE(answered.load());
  EXPECT_EQ(response.status, 0) << response.body;
  EXPECT_TRUE(idle.ClosedWithin(10s));
  EXPECT_TRUE(half.ClosedWithin(10s));
  EXPECT_EQ(hooks->Count(), 1u);  // what arrived stays readable
  // Stopped for good: no one listens, and Stop() again is harmless.
  HttpClient late(hooks->port(), 5s);
  EXPECT_FALSE(late.Connect());
  hooks->Stop();
}

TEST(WebhookReceiver, DestructorStopsAHeldConnection) {
  http::ClientResponse response;
  std::jthread client;
  {
    auto hooks = WebhookReceiver::Start(NeverAnswer());
    ASSERT_NE(hooks, nullptr);
    client = std::jthread([&, port = hooks->port()] {
      HttpClient c(port, 120s);
      response = c.Post("/hooks", "{}");
    });
    ASSERT_TRUE(Eventually([&] { return hooks->Count() == 1; }, 30s));
  }
  client.join();
  EXPECT_EQ(response.status, 0);
}

TEST(WebhookReceiver, SpeaksTlsWithATestCertificate) {
  TestCertificates certs;
  const TestCertificate cert = certs.Issue("webhook receiver", 0x77);
  auto hooks = WebhookReceiver::Start(FailTimesThenSucceed(1, 503), cert);
  ASSERT_NE(hooks, nullptr);
  EXPECT_EQ(hooks->Url(), "https://127.0.0.1:" + std::to_string(hooks->port()) + "/hooks");
  TlsClient c(hooks->port(), {.ca_file = certs.ca_file()});
  ASSERT_TRUE(c.Connect()) << c.error();
  EXPECT_EQ(c.peer_serial(), "77");
  EXPECT_EQ(c.Post("/hooks", R"({"a":1})").status, 503);
  EXPECT_EQ(c.Post("/hooks", R"({"a":2})").status, 200);
  ASSERT_EQ(hooks->Count(), 2u);
  EXPECT_EQ(hooks->Received()[1].body, R"({"a":2})");
  EXPECT_EQ(hooks->Connections(), 1);

  // Plain HTTP to it fails without recording anything.
  HttpClient plain(hooks->port(), 10s);
  EXPECT_EQ(plain.Post("/hooks", "{}").status, 0);
  EXPECT_EQ(hooks->Count(), 2u);

  // A held TLS connection does not keep Stop() waiting either.
  TlsClient silent(hooks->port(), {.ca_file = certs.ca_file()});
  ASSERT_TRUE(silent.Connect()) << silent.error();
  hooks->Stop();
}

TEST(WebhookReceiver, TlsWithMissingFilesFailsToStart) {
  TestCertificates certs;
  const TestCertificate missing{.cert_file = certs.dir() + "/none.crt",
                                .key_file = certs.dir() + "/none.key",
                                .serial = "01"};
  std::unique_ptr<WebhookReceiver> hooks;
  EXPECT_NONFATAL_FAILURE(hooks = WebhookReceiver::Start({}, missing), "cannot load");
  EXPECT_EQ(hooks, nullptr);
}

// Both together: what a sender signs arrives intact and verifies.
TEST(WebhookReceiver, ASignedDeliveryVerifiesAsReceived) {
  auto hooks = WebhookReceiver::Start();
  ASSERT_NE(hooks, nullptr);
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
  const std::string body = R"({"type":"payment.succeeded","data":{"amount":1000}})";
  HttpClient c(hooks->port(), 10s);
  auto r = c.Post(
      "/hooks", body,
      {{"Content-Type", "application/json"},
       {"Webhook-Id", "evt_1"},
       {"Webhook-Timestamp", std::to_string(now)},
       {"Webhook-Signature", "v2,xyz " + SignStandardWebhook(kOtherSecret, "evt_1", now, body)}});
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(hooks->Count(), 1u);
  const ReceivedWebhook got = hooks->Received()[0];
  EXPECT_EQ(VerifyStandardWebhook(kOtherSecret, got.headers, got.body), "");
  EXPECT_EQ(VerifyStandardWebhook(kVectorSecret, got.headers, got.body), "no matching signature");
}

}  // namespace
}  // namespace payments::testing
