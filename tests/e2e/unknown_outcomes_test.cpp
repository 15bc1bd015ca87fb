// Unknown outcomes end to end (docs/payment-states.md): the real binary, a
// real `payments sandbox` process and PostgreSQL. Every fault card of the
// sandbox for authorize, capture, cancel and refund leaves the payment (or
// refund) pending — 202, never failed or declined — and the reconciler
// settles it to what the sandbox actually did; retries under the same
// Idempotency-Key get the pending reply until then and the final one after;
// follow-ups of a payment with a pending call get 409; a service killed with
// SIGKILL while its call is in flight charges nothing twice; and the ledger
// equals the sandbox's own record of money moved.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <future>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "support/eventually.h"
#include "support/http_client.h"
#include "support/prometheus.h"
#include "support/sandbox_process.h"
#include "support/service_process.h"
#include "support/test_database.h"

namespace payments::testing {
namespace {

using json = nlohmann::json;

std::string Body(int64_t amount, const std::string& number, bool capture) {
  return json({{"amount", amount},
               {"currency", "usd"},
               {"capture", capture},
               {"payment_method",
                {{"card",
                  {{"number", number}, {"exp_month", 12}, {"exp_year", 2030}, {"cvc", "123"}}}}}})
      .dump();
}

class UnknownOutcomesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/payments-unknown-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // No-answer cards hold 300 ms, then drop: inside the service's 600 ms
    // read timeout, so a drop and a timeout are both seen.
    sandbox_ = SandboxProcess::Start(dir_ + "/sandbox.journal",
                                     {"--hang", "300", "--slow-latency", "1500"});
    ASSERT_NE(sandbox_, nullptr);
    ASSERT_TRUE(db_.Migrate());
    StartService();
    merchant_ = CreateMerchant(db_.conninfo());
  }

  void StartService(const std::string& schedule = "200ms,200ms,200ms",
                    const std::string& processor_url = "", const std::string& timeout = "600") {
    service_ = ServiceProcess::Start(
        {{"PAYMENTS_DATABASE_URL", db_.conninfo()},
         {"PAYMENTS_PROCESSOR_URL", processor_url.empty() ? sandbox_->url() : processor_url},
         {"PAYMENTS_PROCESSOR_TIMEOUT", timeout},
         {"PAYMENTS_PROCESSOR_CONNECT_TIMEOUT", "200"},
         {"PAYMENTS_RECONCILE_INTERVAL", "100"},
         {"PAYMENTS_RECONCILE_SCHEDULE", schedule}});
    ASSERT_NE(service_, nullptr);
    client_ = std::make_unique<HttpClient>(service_->public_port());
  }

  HttpResponse Post(const std::string& path, const std::string& body, const std::string& key) {
    return client_->Post(path, body, JsonHeaders(merchant_.key, key));
  }
  json Get(const std::string& path) {
    auto r = client_->Get(path, {{"Authorization", "Bearer " + merchant_.key}});
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  // Waits until the payment's status is one of `statuses` and nothing of it
  // is pending; returns it.
  json SettledPayment(const std::string& id) {
    json p;
    EXPECT_TRUE(Eventually(
        [&] {
          p = Get("/v1/payments/" + id);
          return p.value("status", "") != "processing" && !p.contains("pending");
        },
        std::chrono::seconds(30)))
        << p.dump();
    return p;
  }
  json SettledRefund(const std::string& id) {
    json r;
    EXPECT_TRUE(Eventually(
        [&] {
          r = Get("/v1/refunds/" + id);
          return r.value("status", "") != "pending";
        },
        std::chrono::seconds(30)))
        << r.dump();
    return r;
  }
  // Waits until `payments reconcile list` has nothing to show.
  bool NothingPending() {
    const Env db = {{"PAYMENTS_DATABASE_URL", db_.conninfo()}};
    return Eventually(
        [&] {
          const auto list = RunPayments({"reconcile", "list", "--json", "--limit", "1"}, db);
          return list.exit_code == 0 && list.out.empty();
        },
        std::chrono::seconds(60));
  }
  // The ledger's balance for usd next to the sandbox's net of money moved.
  void ExpectLedgerEqualsSandbox() {
    const json balance = Get("/v1/balance");
    int64_t ledger = 0;
    for (const auto& a : balance["available"]) {
      if (a["currency"] == "usd") ledger = a["amount"];
    }
    HttpClient sandbox(sandbox_->port());
    const auto moved = sandbox.Get("/v1/balances");
    ASSERT_EQ(moved.status, 200) << moved.body;
    int64_t net = 0;
    const json rows = json::parse(moved.body);  // outlives the loop (a temporary would not)
    for (const auto& row : rows["data"]) {
      if (row["merchant"] == merchant_.id && row["currency"] == "usd") net = row["net"];
    }
    EXPECT_EQ(ledger, net) << "ledger " << balance.dump() << ", sandbox " << moved.body;
  }

  std::string dir_;
  std::unique_ptr<SandboxProcess> sandbox_;
  TestDatabase db_;
  std::unique_ptr<ServiceProcess> service_;
  TestMerchant merchant_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(UnknownOutcomesTest, AnAuthorizationWithoutAnAnswerIsProcessingUntilReconciled) {
  struct Case {
    std::string number;
    std::string settles_to;
  };
  const std::vector<Case> cases = {
      {"4000000000071102", "failed"},    // no answer: the sandbox recorded nothing
      {"4000000000000259", "failed"},    // no answer either
      {"4000000000071201", "captured"},  // charged, then the answer was lost
      {"4000000000071300", "failed"},    // 500 on every attempt, nothing recorded
  };
  std::map<std::string, std::string> ids;  // card -> payment
  for (const Case& c : cases) {
    const std::string key = "create-" + c.number.substr(12);  // never a card number
    auto r = Post("/v1/payments", Body(2500, c.number, true), key);
    ASSERT_EQ(r.status, 202) << c.number << ": " << r.body;
    EXPECT_EQ(r.Json()["status"], "processing");
    EXPECT_EQ(r.Json()["pending"]["operation"], "sale");
    ids[c.number] = r.Json()["id"];
    // While unknown, a retry under the key is the same pending payment.
    auto again = Post("/v1/payments", Body(2500, c.number, true), key);
    EXPECT_EQ(again.status, 202) << again.body;
    EXPECT_EQ(again.Json()["id"], ids[c.number]);
    EXPECT_EQ(again.Header("idempotent-replayed"), "true");
    // And nothing else may start on it; that 409 is "not yet", never stored
    // under its key (the same request runs once the payment is settled).
    auto refund = Post("/v1/payments/" + ids[c.number] + "/refunds", "{}",
                       "early-refund-" + c.number.substr(12));
    EXPECT_EQ(refund.status, 409) << refund.body;
    EXPECT_EQ(refund.Json()["error"]["code"], "payment_outcome_pending");
  }
  for (const Case& c : cases) {
    const json p = SettledPayment(ids[c.number]);
    EXPECT_EQ(p["status"], c.settles_to) << c.number;
    // After it settled, the retry gets what the request would have had.
    auto after = Post("/v1/payments", Body(2500, c.number, true), "create-" + c.number.substr(12));
    if (c.settles_to == "captured") {
      EXPECT_EQ(after.status, 200) << after.body;
      EXPECT_EQ(after.Json()["id"], ids[c.number]);
      auto refund = Post("/v1/payments/" + ids[c.number] + "/refunds", "{}",
                         "early-refund-" + c.number.substr(12));
      EXPECT_EQ(refund.status, 200) << refund.body;
      EXPECT_EQ(refund.Json()["status"], "succeeded");
    } else {
      EXPECT_EQ(after.status, 402) << after.body;
      EXPECT_EQ(after.Json()["error"]["payment"]["id"], ids[c.number]);
    }
  }
  ExpectLedgerEqualsSandbox();
}

TEST_F(UnknownOutcomesTest, CapturesAndCancelsWithoutAnAnswerArePendingUntilReconciled) {
  struct Case {
    std::string number;
    std::string operation;
    std::string settles_to;  // the payment's status
  };
  const std::vector<Case> cases = {
      {"4000000000072100", "capture", "authorized"},  // no answer, nothing done
      {"4000000000072209", "capture", "captured"},    // captured, answer lost
      {"4000000000072308", "capture", "authorized"},  // 500s
      {"4000000000073108", "cancel", "authorized"},  {"4000000000073207", "cancel", "canceled"},
      {"4000000000073306", "cancel", "authorized"},
  };
  std::map<std::string, std::string> ids;
  for (const Case& c : cases) {
    auto created = Post("/v1/payments", Body(4000, c.number, false), "");
    ASSERT_EQ(created.status, 200) << created.body;
    const std::string id = created.Json()["id"];
    ids[c.number] = id;
    const std::string path = "/v1/payments/" + id + "/" + c.operation;
    const std::string body = c.operation == "capture" ? R"({"amount":3000})" : "{}";
    auto r = Post(path, body, c.operation + "-" + c.number.substr(12));
    ASSERT_EQ(r.status, 202) << c.number << ": " << r.body;
    EXPECT_EQ(r.Json()["status"], "authorized");
    EXPECT_EQ(r.Json()["pending"]["operation"], c.operation);
    auto second = Post(path, body, "");
    EXPECT_EQ(second.status, 409) << second.body;
    EXPECT_EQ(second.Json()["error"]["code"], "payment_outcome_pending");
  }
  for (const Case& c : cases) {
    const json p = SettledPayment(ids[c.number]);
    EXPECT_EQ(p["status"], c.settles_to) << c.number;
    if (c.settles_to == "captured") {
      EXPECT_EQ(p["amount_captured"], 3000);
    }
  }
  // A capture the processor never received can be made again, and works.
  auto retried = Post("/v1/payments/" + ids["4000000000072308"] + "/capture", "{}", "");
  EXPECT_EQ(retried.status, 202) << retried.body;  // the card's capture still fails the same way
  ExpectLedgerEqualsSandbox();
}

TEST_F(UnknownOutcomesTest, ARefundWithoutAnAnswerIsPendingAndReservesItsAmount) {
  struct Case {
    std::string number;
    std::string settles_to;
  };
  const std::vector<Case> cases = {
      {"4000000000074106", "failed"},     // no answer
      {"4000000000074205", "succeeded"},  // refunded, answer lost
      {"4000000000074304", "failed"},     // 500s
  };
  std::map<std::string, std::pair<std::string, std::string>> ids;  // card -> payment, refund
  for (const Case& c : cases) {
    auto created = Post("/v1/payments", Body(5000, c.number, true), "");
    ASSERT_EQ(created.status, 200) << created.body;
    const std::string payment = created.Json()["id"];
    auto r = Post("/v1/payments/" + payment + "/refunds", R"({"amount":3000})",
                  "re-" + c.number.substr(12));
    ASSERT_EQ(r.status, 202) << c.number << ": " << r.body;
    EXPECT_EQ(r.Json()["status"], "pending");
    ids[c.number] = {payment, r.Json()["id"]};
    // The pending 3000 counts against the 5000: 2000 is left, not 5000.
    auto too_much = Post("/v1/payments/" + payment + "/refunds", R"({"amount":2001})", "");
    EXPECT_EQ(too_much.status, 400) << too_much.body;
    EXPECT_EQ(too_much.Json()["error"]["code"], "amount_too_large");
    auto replay = Post("/v1/payments/" + payment + "/refunds", R"({"amount":3000})",
                       "re-" + c.number.substr(12));
    EXPECT_EQ(replay.status, 202) << replay.body;
    EXPECT_EQ(replay.Json()["id"], ids[c.number].second);
  }
  for (const Case& c : cases) {
    const auto& [payment, refund] = ids[c.number];
    EXPECT_EQ(SettledRefund(refund)["status"], c.settles_to) << c.number;
    const json p = Get("/v1/payments/" + payment);
    EXPECT_EQ(p["amount_refunded"], c.settles_to == "succeeded" ? 3000 : 0) << c.number;
    auto after = Post("/v1/payments/" + payment + "/refunds", R"({"amount":3000})",
                      "re-" + c.number.substr(12));
    EXPECT_EQ(after.status, c.settles_to == "succeeded" ? 200 : 402) << after.body;
  }
  ExpectLedgerEqualsSandbox();
}

TEST_F(UnknownOutcomesTest, AServiceKilledMidCallChargesOnceAndTheRetryFindsThePayment) {
  // The slow card: the sandbox answers after 1.5 s; the service dies before.
  const std::string number = "4000000000000341";
  const std::string key = "killed-mid-call";
  auto in_flight = std::async(std::launch::async, [&] {
    HttpClient c(service_->public_port());
    return c.Post("/v1/payments", Body(7300, number, true), JsonHeaders(merchant_.key, key));
  });
  // The intent is committed before the call: the payment lists as processing.
  std::string id;
  ASSERT_TRUE(Eventually(
      [&] {
        const json page = Get("/v1/payments?status=processing");
        if (page["data"].empty()) return false;
        id = page["data"][0]["id"];
        return true;
      },
      std::chrono::seconds(10)));
  service_->Signal(SIGKILL);
  EXPECT_EQ(in_flight.get().status, 0);  // the connection died with it
  service_->Wait(std::chrono::seconds(10));

  StartService();
  // The retry under the key finds the same payment, never a second charge.
  auto retry = Post("/v1/payments", Body(7300, number, true), key);
  ASSERT_TRUE(retry.status == 202 || retry.status == 200) << retry.body;
  EXPECT_EQ(retry.Json()["id"], id);
  // What reconciliation records is what the sandbox did: it charged if the
  // call reached it before the kill (nearly always: it waits 1.5 s before
  // deciding), and if the kill came between the intent's commit and the
  // send, it never saw the call and the payment fails. Either way, once.
  const std::string status = SettledPayment(id)["status"];
  HttpClient sandbox(sandbox_->port());
  const json moved = json::parse(sandbox.Get("/v1/balances").body);
  const bool charged = !moved["data"].empty();
  EXPECT_EQ(status, charged ? "captured" : "failed") << moved.dump();
  if (charged) {
    ASSERT_EQ(moved["data"].size(), 1u) << moved.dump();
    EXPECT_EQ(moved["data"][0]["captured"], 7300);
  }
  auto settled = Post("/v1/payments", Body(7300, number, true), key);
  EXPECT_EQ(settled.status, charged ? 200 : 402) << settled.body;
  EXPECT_EQ(charged ? settled.Json()["id"] : settled.Json()["error"]["payment"]["id"], id);
  ExpectLedgerEqualsSandbox();
}

// A processor that answers 503 twice and then approves (the flaky card) is
// retried by the connector under the same idempotency key: one payment,
// charged once, the merchant never sees the 503s.
TEST_F(UnknownOutcomesTest, AFlakyProcessorIsRetriedUnderTheSameKeyAndChargesOnce) {
  auto r = Post("/v1/payments", Body(4400, "4000000000007999", true), "flaky");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["status"], "captured");
  HttpClient processor(sandbox_->port());
  const json moved = json::parse(processor.Get("/v1/balances").body);
  ASSERT_EQ(moved["data"].size(), 1u) << moved.dump();
  EXPECT_EQ(moved["data"][0]["captured"], 4400);
  ExpectLedgerEqualsSandbox();
}

// Refunds reserve their amount in a committed intent and call the processor
// outside any transaction: fifty concurrent partial refunds of one payment
// against a slow processor are in flight together (no row lock queues them)
// and never exceed what was captured.
TEST_F(UnknownOutcomesTest, FiftyConcurrentRefundsAgainstASlowProcessorNeverExceedTheCapture) {
  auto slow = SandboxProcess::Start(dir_ + "/slow.journal", {"--latency", "300"});
  ASSERT_NE(slow, nullptr);
  service_->Signal(SIGTERM);
  ASSERT_EQ(service_->Wait(std::chrono::seconds(20)), 0);
  StartService("200ms", slow->url(), "5000");
  auto created = Post("/v1/payments", Body(3000, "4242424242424242", true), "");
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string id = created.Json()["id"];

  constexpr int kRefunds = 50;
  std::vector<std::future<HttpResponse>> refunds;
  for (int i = 0; i < kRefunds; ++i) {
    refunds.push_back(std::async(std::launch::async, [&, i] {
      HttpClient c(service_->public_port(), std::chrono::seconds(30));
      return c.Post("/v1/payments/" + id + "/refunds", R"({"amount":100})",
                    JsonHeaders(merchant_.key, "concurrent-" + std::to_string(i)));
    }));
  }
  // Several at the processor at once: none waits for another's answer.
  EXPECT_TRUE(Eventually(
      [&] {
        const json page = Get("/v1/refunds?payment=" + id + "&limit=100");
        int pending = 0;
        for (const auto& r : page["data"]) pending += r["status"] == "pending" ? 1 : 0;
        return pending >= 2;
      },
      std::chrono::seconds(20)));
  int succeeded = 0, refused = 0;
  for (auto& f : refunds) {
    const HttpResponse r = f.get();
    if (r.status == 200) {
      ++succeeded;
    } else if ((r.status == 400 && r.Json()["error"]["code"] == "amount_too_large") ||
               (r.status == 409 && r.Json()["error"]["code"] == "refund_pending")) {
      ++refused;
    } else {
      ADD_FAILURE() << r.status << " " << r.body;
    }
  }
  EXPECT_EQ(succeeded, 30);
  EXPECT_EQ(refused, 20);
  const json p = Get("/v1/payments/" + id);
  EXPECT_EQ(p["amount_refunded"], 3000);
  EXPECT_EQ(p["status"], "refunded");
  HttpClient processor(slow->port());
  const json moved = json::parse(processor.Get("/v1/balances").body);
  ASSERT_EQ(moved["data"].size(), 1u) << moved.dump();
  EXPECT_EQ(moved["data"][0]["refunded"], 3000);
  EXPECT_EQ(moved["data"][0]["net"], 0);
}

// A thousand payments whose answers were all lost after the processor
// charged, made by eight clients at once: every one is reconciled to
// captured, none twice, and the ledger equals the processor's record.
TEST_F(UnknownOutcomesTest, AThousandLostAnswersAreAllReconciledUnderLoad) {
  constexpr int kClients = 8, kEach = 125;
  std::vector<std::future<std::vector<std::string>>> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.push_back(std::async(std::launch::async, [&, c] {
      HttpClient client(service_->public_port(), std::chrono::seconds(30));
      std::vector<std::string> ids;
      for (int i = 0; i < kEach; ++i) {
        auto r = client.Post("/v1/payments", Body(100 + c, "4000000000071201", true),
                             JsonHeaders(merchant_.key, fmt::format("load-{}-{}", c, i)));
        EXPECT_EQ(r.status, 202) << r.body;
        if (r.status == 202) ids.push_back(r.Json()["id"]);
      }
      return ids;
    }));
  }
  std::vector<std::string> ids;
  for (auto& f : clients) {
    auto some = f.get();
    ids.insert(ids.end(), some.begin(), some.end());
  }
  ASSERT_EQ(ids.size(), static_cast<size_t>(kClients * kEach));
  ASSERT_TRUE(NothingPending());
  const json page = Get("/v1/payments?status=captured&limit=100");
  EXPECT_EQ(page["data"].size(), 100u);
  EXPECT_TRUE(Get("/v1/payments?status=processing")["data"].empty());
  EXPECT_TRUE(Get("/v1/payments?status=failed")["data"].empty());
  ExpectLedgerEqualsSandbox();
}

// Random operations with faults from four clients, the sandbox killed and
// restarted (same journal, same port) halfway: once every pending call is
// settled, the ledger equals the sandbox's own record of money moved.
TEST_F(UnknownOutcomesTest, AfterRandomOperationsWithFaultsTheLedgerEqualsTheProcessor) {
  // Looks spread over 15 s, so that the processor's downtime does not use
  // them all up.
  service_->Signal(SIGTERM);
  ASSERT_EQ(service_->Wait(std::chrono::seconds(20)), 0);
  StartService("500ms,1s,2s,4s,8s");
  const std::vector<std::string> cards = {
      "4242424242424242", "5555555555554444", "4000000000000002", "4000000000071201",
      "4000000000071102", "4000000000071300", "4000000000072209", "4000000000072100",
      "4000000000073207", "4000000000074205", "4000000000074106", "4000000000007999"};
  auto work = [&](int phase, int client, int n) {
    HttpClient c(service_->public_port(), std::chrono::seconds(30));
    std::mt19937 rng(1234 + 10 * phase + client);
    std::vector<std::string> mine;
    for (int i = 0; i < n; ++i) {
      const std::string key = fmt::format("rnd-{}-{}-{}", phase, client, i);
      const int pick = static_cast<int>(rng() % 10);
      if (pick < 5 || mine.empty()) {
        const std::string& card = cards[rng() % cards.size()];
        auto r =
            c.Post("/v1/payments", Body(1000 + static_cast<int>(rng() % 9000), card, rng() % 2),
                   JsonHeaders(merchant_.key, key));
        if (r.status == 200 || r.status == 202) mine.push_back(r.Json()["id"]);
        continue;
      }
      const std::string& id = mine[rng() % mine.size()];
      const std::string op = pick < 7 ? "capture" : pick < 8 ? "cancel" : "refunds";
      const std::string body =
          op == "refunds" ? fmt::format(R"({{"amount":{}}})", 1 + rng() % 2000) : "{}";
      auto r = c.Post("/v1/payments/" + id + "/" + op, body, JsonHeaders(merchant_.key, key));
      EXPECT_TRUE(r.status == 200 || r.status == 202 || r.status == 400 || r.status == 402 ||
                  r.status == 409)
          << r.status << " " << r.body;
    }
  };
  int phase = 0;
  auto run = [&](int n) {
    ++phase;
    std::vector<std::future<void>> clients;
    for (int t = 0; t < 4; ++t) {
      clients.push_back(std::async(std::launch::async, work, phase, t, n));
    }
    for (auto& f : clients) f.get();
  };
  run(40);
  const int port = sandbox_->port();
  sandbox_->Kill();
  run(10);  // the processor down: refused connections, nothing sent (or lookups unknown)
  sandbox_ = SandboxProcess::Start(dir_ + "/sandbox.journal",
                                   {"--listen", "127.0.0.1:" + std::to_string(port)});
  ASSERT_NE(sandbox_, nullptr);
  run(40);
  ASSERT_TRUE(NothingPending());
  ExpectLedgerEqualsSandbox();

  // The day-end report agrees, payment by payment…
  const Env db = {{"PAYMENTS_DATABASE_URL", db_.conninfo()}};
  const std::vector<std::string> report = {"reconcile",       "report",        "--since", "1h",
                                           "--processor-url", sandbox_->url(), "--json"};
  auto agreed = RunPayments(report, db);
  EXPECT_EQ(agreed.exit_code, 0) << agreed.err << agreed.out;
  const json summary = json::parse(agreed.out, nullptr, false);
  EXPECT_GT(summary.value("checked", 0), 0) << agreed.out;
  EXPECT_TRUE(summary["differences"].empty()) << agreed.out;
  // …and names the payment whose authorization the processor does not know.
  ASSERT_TRUE(db_.Connect()->ExecScript(
      "UPDATE payments SET processor_reference = 'sbx_au_nosuchauthorization' WHERE id = "
      "(SELECT id FROM payments WHERE status = 'captured' ORDER BY id LIMIT 1)"));
  auto differs = RunPayments(report, db);
  EXPECT_EQ(differs.exit_code, 1) << differs.err;
  EXPECT_NE(differs.out.find("unknown_to_processor"), std::string::npos) << differs.out;
  EXPECT_EQ(
      RunPayments(
          {"reconcile", "report", "--since", "yesterday", "--processor-url", sandbox_->url()}, db)
          .exit_code,
      2);
}

double ReconcilerActive(ServiceProcess& service) {
  HttpClient admin(service.admin_port());
  return ParsePrometheus(admin.Get("/metrics").body).Value("payments_reconcile_active");
}

// One reconciler is active per database; when its instance dies, another
// instance's takes over and settles what was pending.
TEST_F(UnknownOutcomesTest, AnotherInstancesReconcilerTakesOverWhenTheActiveOneDies) {
  auto first = std::move(service_);
  StartService();
  auto second = std::move(service_);
  ASSERT_TRUE(Eventually([&] { return ReconcilerActive(*first) + ReconcilerActive(*second) == 1; },
                         std::chrono::seconds(10)));
  ServiceProcess& active = ReconcilerActive(*first) == 1 ? *first : *second;
  ServiceProcess& standby = &active == first.get() ? *second : *first;

  // A lost answer made through the standby; the active instance dies
  // before the call is due for a look.
  HttpClient c(standby.public_port());
  auto r = c.Post("/v1/payments", Body(4100, "4000000000071201", true),
                  JsonHeaders(merchant_.key, "takeover"));
  ASSERT_EQ(r.status, 202) << r.body;
  active.Signal(SIGKILL);
  ASSERT_TRUE(Eventually([&] { return ReconcilerActive(standby) == 1; }, std::chrono::seconds(10)));
  service_ = &standby == first.get() ? std::move(first) : std::move(second);
  client_ = std::make_unique<HttpClient>(service_->public_port());
  EXPECT_EQ(SettledPayment(r.Json()["id"])["status"], "captured");
  ExpectLedgerEqualsSandbox();
}

// What the reconciler gives up on (the processor unreachable through every
// look) is left for an operator: listed, asked again by hand, or resolved by
// hand with an audited reason.
TEST_F(UnknownOutcomesTest, AnOperatorListsRetriesAndResolvesWhatReconciliationGaveUpOn) {
  service_->Signal(SIGTERM);
  ASSERT_EQ(service_->Wait(std::chrono::seconds(20)), 0);
  StartService("100ms");  // one look after the first, then an operator's
  const Env db = {{"PAYMENTS_DATABASE_URL", db_.conninfo()}};
  // Charged, answer lost; and never received.
  auto lost = Post("/v1/payments", Body(1100, "4000000000071201", true), "op-lost");
  auto never = Post("/v1/payments", Body(1200, "4000000000071102", true), "op-never");
  ASSERT_EQ(lost.status, 202) << lost.body;
  ASSERT_EQ(never.status, 202) << never.body;
  const std::string lost_id = lost.Json()["id"], never_id = never.Json()["id"];
  const int port = sandbox_->port();
  sandbox_->Kill();  // every look fails to connect
  ASSERT_TRUE(service_->WaitForLog("reconciliation gave up: an operator must resolve this call",
                                   std::chrono::seconds(30)));
  ASSERT_TRUE(Eventually(
      [&] {
        const auto list = RunPayments({"reconcile", "list", "--json"}, db);
        return list.exit_code == 0 && list.out.find(lost_id) != std::string::npos &&
               list.out.find(never_id) != std::string::npos &&
               list.out.find("\"needs_operator\":false") == std::string::npos;
      },
      std::chrono::seconds(30)));

  // Hostile or mistaken input: a one-line message, exit 2 or 1, nothing changes.
  auto bad =
      RunPayments({"reconcile", "resolve", never_id, "--outcome", "maybe", "--reason", "x"}, db);
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  auto no_reason =
      RunPayments({"reconcile", "resolve", never_id, "--outcome", "failed", "--reason", ""}, db);
  EXPECT_EQ(no_reason.exit_code, 2) << no_reason.err;
  auto unknown = RunPayments(
      {"reconcile", "resolve", "pay_nosuchpayment", "--outcome", "failed", "--reason", "x"}, db);
  EXPECT_NE(unknown.exit_code, 0);
  auto no_ref = RunPayments(
      {"reconcile", "resolve", lost_id, "--outcome", "succeeded", "--reason", "dashboard"}, db);
  EXPECT_EQ(no_ref.exit_code, 2) << no_ref.err;
  auto card_in_reason = RunPayments({"reconcile", "resolve", never_id, "--outcome", "failed",
                                     "--reason", "customer card 4242424242424242"},
                                    db);
  EXPECT_EQ(card_in_reason.exit_code, 2) << card_in_reason.err;
  EXPECT_EQ(card_in_reason.err.find("4242424242424242"), std::string::npos);
  EXPECT_EQ(Get("/v1/payments/" + never_id)["status"], "processing");

  // Asked somewhere that is not the processor's lookup (here the service's
  // own API, which answers 401), nothing is concluded: still processing.
  auto elsewhere = RunPayments({"reconcile", "retry", lost_id, "--processor-url",
                                "http://127.0.0.1:" + std::to_string(service_->public_port())},
                               db);
  EXPECT_EQ(elsewhere.exit_code, 0) << elsewhere.err;
  EXPECT_NE(elsewhere.out.find("no answer recorded"), std::string::npos) << elsewhere.out;
  EXPECT_EQ(Get("/v1/payments/" + lost_id)["status"], "processing");

  // The processor is back: asked again by hand, it says what it did.
  sandbox_ = SandboxProcess::Start(dir_ + "/sandbox.journal",
                                   {"--listen", "127.0.0.1:" + std::to_string(port)});
  ASSERT_NE(sandbox_, nullptr);
  auto retried =
      RunPayments({"reconcile", "retry", lost_id, "--processor-url", sandbox_->url()}, db);
  EXPECT_EQ(retried.exit_code, 0) << retried.err;
  EXPECT_EQ(Get("/v1/payments/" + lost_id)["status"], "captured");

  // An operator who checked the processor records the other one, audited.
  auto resolved = RunPayments({"reconcile", "resolve", never_id, "--outcome", "failed", "--reason",
                               "not in the processor's dashboard", "--actor", "ops@example"},
                              db);
  EXPECT_EQ(resolved.exit_code, 0) << resolved.err;
  EXPECT_EQ(Get("/v1/payments/" + never_id)["status"], "failed");
  auto again = RunPayments(
      {"reconcile", "resolve", never_id, "--outcome", "failed", "--reason", "twice"}, db);
  EXPECT_NE(again.exit_code, 0);
  auto audit = RunPayments({"reconcile", "audit", "--json"}, db);
  EXPECT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_NE(audit.out.find("ops@example"), std::string::npos) << audit.out;
  EXPECT_NE(audit.out.find("not in the processor's dashboard"), std::string::npos);
  const auto list = RunPayments({"reconcile", "list", "--json"}, db);
  EXPECT_EQ(list.out, "") << list.out;
  // The merchant's retries get the final replies.
  EXPECT_EQ(Post("/v1/payments", Body(1100, "4000000000071201", true), "op-lost").status, 200);
  EXPECT_EQ(Post("/v1/payments", Body(1200, "4000000000071102", true), "op-never").status, 402);
  ExpectLedgerEqualsSandbox();
}

}  // namespace
}  // namespace payments::testing
