// `payments sandbox`, the SIMULATED card processor, as the service's
// connector sees it: the real binary as a child process on a port it picks
// itself, spoken to over HTTP (docs/sandbox.md). Idempotent replays, the
// faults its test cards ask for (a dropped answer after commit, no answer, a
// 5xx, a flaky card), lookups that close a key, SIGKILL and a restart on the
// same journal, and hostile input — after which no full card number is in
// anything the process printed.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/eventually.h"
#include "support/http_client.h"
#include "support/sandbox_process.h"

namespace payments::testing {
namespace {

using json = nlohmann::json;

// Every card number these tests send, for the check that none is printed.
const std::vector<std::string> kNumbers = {
    "4242424242424242", "5555555555554444", "4000000000000002",    "4000000000071201",
    "4000000000071102", "4000000000071300", "4000000000007999",    "4000000000072209",
    "4000000000000259", "4242424242424241", "42424242424242424242"};

using Sandbox = SandboxProcess;

std::string AuthorizeBody(const std::string& number, int64_t amount = 1000, bool capture = true,
                          const std::string& merchant = "acct_e2e") {
  json body = {{"amount", amount},
               {"currency", "usd"},
               {"capture", capture},
               {"merchant", merchant},
               {"reference", "pay_e2e"},
               {"card", {{"number", number}, {"exp_month", 12}, {"exp_year", 2031}}}};
  return body.dump();
}

Headers KeyHeaders(const std::string& key) {
  return {{"Content-Type", "application/json"}, {"Idempotency-Key", key}};
}

std::string ErrorCode(const HttpResponse& r) {
  const json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.contains("error")) return "";
  return j["error"].value("code", "");
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/payments-sandbox-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    journal_ = dir_ + "/var/sandbox.journal";
    sandbox_ = Sandbox::Start(journal_);
    ASSERT_NE(sandbox_, nullptr);
    client_ = std::make_unique<HttpClient>(sandbox_->port(), std::chrono::seconds(10));
  }

  void TearDown() override {
    if (sandbox_) ExpectNoCardNumberIn(sandbox_->Output());
    for (const std::string& output : earlier_outputs_) ExpectNoCardNumberIn(output);
    client_.reset();
    sandbox_.reset();
    std::filesystem::remove_all(dir_);
  }

  static void ExpectNoCardNumberIn(const std::string& output) {
    for (const std::string& number : kNumbers) {
      EXPECT_EQ(output.find(number), std::string::npos) << "a full card number in the output";
    }
  }

  HttpResponse Authorize(const std::string& key, const std::string& number, int64_t amount = 1000,
                         bool capture = true) {
    return client_->Post("/v1/authorizations", AuthorizeBody(number, amount, capture),
                         KeyHeaders(key));
  }

  // On a connection of its own: a dropped answer must not be retried by the
  // client's keep-alive reconnect.
  HttpResponse AuthorizeOnNewConnection(const std::string& key, const std::string& number) {
    HttpClient fresh(sandbox_->port(), std::chrono::seconds(10));
    return fresh.Post("/v1/authorizations", AuthorizeBody(number), KeyHeaders(key));
  }

  json Balances() {
    const HttpResponse r = client_->Get("/v1/balances");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json();
  }

  std::string dir_;
  std::string journal_;
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<HttpClient> client_;
  std::vector<std::string> earlier_outputs_;
};

TEST_F(SandboxTest, SaysItIsSimulatedAndStopsCleanlyOnSigterm) {
  EXPECT_NE(sandbox_->Output().find("SIMULATED"), std::string::npos);
  EXPECT_EQ(client_->Get("/healthz").status, 200);
  sandbox_->process().Signal(SIGTERM);
  EXPECT_EQ(sandbox_->process().Wait(), 0);
  EXPECT_TRUE(sandbox_->Logged("sandbox stopped"));
}

TEST_F(SandboxTest, ApprovesAndReplaysTheSameAnswerForTheSameKey) {
  const HttpResponse first = Authorize("e2e-approve", "4242424242424242", 1234);
  ASSERT_EQ(first.status, 200) << first.body;
  const json a = first.Json();
  EXPECT_EQ(a["status"], "captured");
  EXPECT_EQ(a["amount_captured"], 1234);
  EXPECT_EQ(a["card"]["last4"], "4242");
  EXPECT_EQ(first.Header("idempotent-replayed"), "");

  const HttpResponse again = Authorize("e2e-approve", "4242424242424242", 1234);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.Header("idempotent-replayed"), "true");

  const HttpResponse other = Authorize("e2e-approve", "4242424242424242", 999);
  EXPECT_EQ(other.status, 422);
  EXPECT_EQ(ErrorCode(other), "idempotency_key_reused");

  const HttpResponse got = client_->Get("/v1/authorizations/" + a["id"].get<std::string>());
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, first.body);
  const json b = Balances()["data"];
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0]["captured"], 1234);
}

TEST_F(SandboxTest, ADeclineIsRecordedUnderItsKey) {
  const HttpResponse declined = Authorize("e2e-decline", "4000000000000002");
  EXPECT_EQ(declined.status, 402);
  EXPECT_EQ(declined.Json()["error"]["type"], "card_error");
  EXPECT_EQ(ErrorCode(declined), "card_declined");
  const HttpResponse again = Authorize("e2e-decline", "4000000000000002");
  EXPECT_EQ(again.status, 402);
  EXPECT_EQ(again.Header("idempotent-replayed"), "true");
  const HttpResponse lookup = client_->Get("/v1/idempotency-keys/e2e-decline");
  ASSERT_EQ(lookup.status, 200);
  EXPECT_EQ(lookup.Json()["status"], 402);
  EXPECT_TRUE(Balances()["data"].empty());
}

TEST_F(SandboxTest, AnAnswerLostAfterCommitIsFoundByALookup) {
  const HttpResponse lost = AuthorizeOnNewConnection("e2e-lost", "4000000000071201");
  EXPECT_EQ(lost.status, 0) << "the connection should have been dropped: " << lost.body;

  const HttpResponse lookup = client_->Get("/v1/idempotency-keys/e2e-lost");
  ASSERT_EQ(lookup.status, 200) << lookup.body;
  const json stored = lookup.Json();
  EXPECT_EQ(stored["key"], "e2e-lost");
  EXPECT_EQ(stored["status"], 200);
  EXPECT_EQ(stored["body"]["status"], "captured");

  const HttpResponse retry = Authorize("e2e-lost", "4000000000071201");
  EXPECT_EQ(retry.status, 200);
  EXPECT_EQ(retry.Header("idempotent-replayed"), "true");
  EXPECT_EQ(retry.Json(), stored["body"]);
  EXPECT_EQ(Balances()["data"][0]["captured"], 1000);
}

TEST_F(SandboxTest, NoAnswerThenALookupClosesTheKeyForGood) {
  const json before = Balances();
  const HttpResponse hung = AuthorizeOnNewConnection("e2e-hang", "4000000000071102");
  EXPECT_EQ(hung.status, 0) << hung.body;
  EXPECT_TRUE(sandbox_->Logged("sandbox fault: no answer"));

  const HttpResponse lookup = client_->Get("/v1/idempotency-keys/e2e-hang");
  EXPECT_EQ(lookup.status, 404);
  EXPECT_EQ(ErrorCode(lookup), "resource_missing");

  const HttpResponse late = Authorize("e2e-hang", "4000000000071102");
  EXPECT_EQ(late.status, 409);
  EXPECT_EQ(ErrorCode(late), "idempotency_key_closed");
  // Closed whatever the request: nothing can move money under the key.
  const HttpResponse other = Authorize("e2e-hang", "4242424242424242");
  EXPECT_EQ(ErrorCode(other), "idempotency_key_closed");
  EXPECT_EQ(Balances(), before);

  // The card that never answers an authorize does the same.
  EXPECT_EQ(AuthorizeOnNewConnection("e2e-hang-2", "4000000000000259").status, 0);
  EXPECT_EQ(Balances(), before);
}

TEST_F(SandboxTest, AServerErrorRecordsNothing) {
  const HttpResponse failed = Authorize("e2e-5xx", "4000000000071300");
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.Json()["error"]["type"], "api_error");
  EXPECT_EQ(ErrorCode(failed), "internal_error");
  EXPECT_TRUE(Balances()["data"].empty());
  EXPECT_EQ(client_->Get("/v1/idempotency-keys/e2e-5xx").status, 404);
}

TEST_F(SandboxTest, TheFlakyCardSucceedsOnTheThirdTryWithTheSameKey) {
  for (int attempt = 1; attempt <= 2; ++attempt) {
    const HttpResponse r = Authorize("e2e-flaky", "4000000000007999");
    EXPECT_EQ(r.status, 503) << "attempt " << attempt;
    EXPECT_EQ(ErrorCode(r), "temporarily_unavailable");
  }
  const HttpResponse third = Authorize("e2e-flaky", "4000000000007999");
  EXPECT_EQ(third.status, 200) << third.body;
  EXPECT_EQ(Balances()["data"][0]["captured"], 1000);
}

TEST_F(SandboxTest, StateAndStoredAnswersSurviveSigkillAndATornLine) {
  struct Stored {
    std::string key;
    std::string method;
    std::string target;
    std::string body;
    int status;
    std::string answer;
  };
  std::vector<Stored> stored;
  auto post = [&](const std::string& key, const std::string& target, const std::string& body) {
    const HttpResponse r = client_->Post(target, body, KeyHeaders(key));
    stored.push_back({key, "POST", target, body, r.status, r.body});
    return r;
  };
  const json sale =
      post("s1", "/v1/authorizations", AuthorizeBody("4242424242424242", 5000)).Json();
  const std::string sale_id = sale["id"];
  ASSERT_EQ(post("s2", "/v1/authorizations/" + sale_id + "/refunds", R"({"amount":1200})").status,
            200);
  const json auth =
      post("s3", "/v1/authorizations", AuthorizeBody("5555555555554444", 3000, false)).Json();
  const std::string auth_id = auth["id"];
  ASSERT_EQ(post("s4", "/v1/authorizations/" + auth_id + "/capture", R"({"amount":2500})").status,
            200);
  ASSERT_EQ(post("s5", "/v1/authorizations", AuthorizeBody("4000000000000002")).status, 402);
  const json voided =
      post("s6", "/v1/authorizations", AuthorizeBody("4242424242424242", 700, false)).Json();
  ASSERT_EQ(
      post("s7", "/v1/authorizations/" + voided["id"].get<std::string>() + "/cancel", "{}").status,
      200);
  ASSERT_EQ(client_->Get("/v1/idempotency-keys/s-closed").status, 404);
  const json balances = Balances();
  ASSERT_EQ(balances["data"][0]["captured"], 7500);
  ASSERT_EQ(balances["data"][0]["refunded"], 1200);

  sandbox_->process().Signal(SIGKILL);
  EXPECT_EQ(sandbox_->process().Wait(), 128 + SIGKILL);
  earlier_outputs_.push_back(sandbox_->Output());
  {
    std::ofstream out(journal_, std::ios::binary | std::ios::app);
    out << R"({"type":"result","key":"s8","hash":"ab)";  // as if killed mid-write
  }
  client_.reset();
  sandbox_ = Sandbox::Start(journal_);
  ASSERT_NE(sandbox_, nullptr);
  client_ = std::make_unique<HttpClient>(sandbox_->port(), std::chrono::seconds(10));
  EXPECT_TRUE(sandbox_->Logged("sandbox journal: torn last line dropped"));

  EXPECT_EQ(Balances(), balances);
  for (const Stored& s : stored) {
    const HttpResponse again = client_->Post(s.target, s.body, KeyHeaders(s.key));
    EXPECT_EQ(again.status, s.status) << s.key;
    EXPECT_EQ(again.body, s.answer) << s.key;
    EXPECT_EQ(again.Header("idempotent-replayed"), "true") << s.key;
  }
  EXPECT_EQ(client_->Get("/v1/authorizations/" + sale_id).Json()["amount_refunded"], 1200);
  EXPECT_EQ(ErrorCode(Authorize("s-closed", "4242424242424242")), "idempotency_key_closed");
  EXPECT_EQ(Balances(), balances);
}

TEST_F(SandboxTest, HostileInputIsATyped4xxAndChangesNothing) {
  ASSERT_EQ(Authorize("h-setup", "4242424242424242", 100).status, 200);
  const json before = Balances();
  const std::string good = AuthorizeBody("4242424242424242");
  auto with = [&](const std::string& field, const json& value) {
    json body = json::parse(good);
    body[field] = value;
    return body.dump();
  };
  auto with_card = [&](const std::string& field, const json& value) {
    json body = json::parse(good);
    body["card"][field] = value;
    return body.dump();
  };
  struct Case {
    std::string name;
    std::string target;
    std::string body;
    Headers headers;
    int status;
    std::string code;
  };
  const Headers key = KeyHeaders("h-key");
  const std::vector<Case> cases = {
      {"malformed JSON", "/v1/authorizations", "{\"amount\":", key, 400, "invalid_json"},
      {"not an object", "/v1/authorizations", "[1,2]", key, 400, "invalid_json"},
      {"amount as a string", "/v1/authorizations", with("amount", "100"), key, 400,
       "parameter_invalid"},
      {"negative amount", "/v1/authorizations", with("amount", -100), key, 400,
       "parameter_invalid"},
      {"zero amount", "/v1/authorizations", with("amount", 0), key, 400, "parameter_invalid"},
      {"huge amount", "/v1/authorizations", with("amount", 100000000000), key, 400,
       "parameter_invalid"},
      {"fractional amount", "/v1/authorizations", with("amount", 10.5), key, 400,
       "parameter_invalid"},
      {"capture as a string", "/v1/authorizations", with("capture", "true"), key, 400,
       "parameter_invalid"},
      {"missing merchant", "/v1/authorizations",
       [&] {
         json b = json::parse(good);
         b.erase("merchant");
         return b.dump();
       }(),
       key, 400, "parameter_missing"},
      {"20-digit number", "/v1/authorizations", with_card("number", "42424242424242424242"), key,
       400, "parameter_invalid"},
      {"non-Luhn number", "/v1/authorizations", with_card("number", "4242424242424241"), key, 400,
       "parameter_invalid"},
      {"number as an integer", "/v1/authorizations", with_card("number", 4242424242424242), key,
       400, "parameter_invalid"},
      {"missing key header",
       "/v1/authorizations",
       good,
       {{"Content-Type", "application/json"}},
       400,
       "idempotency_key_invalid"},
      {"overlong key", "/v1/authorizations", good, KeyHeaders(std::string(256, 'k')), 400,
       "idempotency_key_invalid"},
      {"key with a space", "/v1/authorizations", good, KeyHeaders("a b"), 400,
       "idempotency_key_invalid"},
      {"body over the limit", "/v1/authorizations", with("reference", std::string(17 * 1024, 'x')),
       key, 413, ""},
      {"unknown path", "/v1/charges", good, key, 404, "resource_missing"},
      {"unknown authorization", "/v1/authorizations/sbx_au_00000000000000000000/capture",
       R"({"amount":1})", key, 404, "resource_missing"},
      {"capture amount as a string", "/v1/authorizations/sbx_au_00000000000000000000/capture",
       R"({"amount":"1"})", key, 400, "parameter_invalid"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const HttpResponse r = client_->Post(c.target, c.body, c.headers);
    EXPECT_EQ(r.status, c.status) << r.body;
    const json j = json::parse(r.body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.body;
    EXPECT_TRUE(j["error"]["type"].is_string()) << r.body;
    if (!c.code.empty()) {
      EXPECT_EQ(j["error"]["code"], c.code) << r.body;
    }
    EXPECT_EQ(r.body.find("4242424242424242"), std::string::npos);
  }
  EXPECT_EQ(client_->Get("/v1/authorizations/not-an-id").status, 404);
  EXPECT_EQ(client_->Get("/v1/refunds/sbx_re_00000000000000000000").status, 404);
  EXPECT_EQ(client_->Request("DELETE", "/v1/balances").status, 405);
  EXPECT_EQ(Balances(), before);
  // Nothing was recorded under the key the refused requests carried.
  EXPECT_EQ(client_->Get("/v1/idempotency-keys/h-key").status, 404);
}

TEST(SandboxCommandTest, BadFlagsExitWithCode2OnOneLine) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"sandbox", "--listen", "nonsense", "--journal", "/tmp/x"},
        std::vector<std::string>{"sandbox", "--latency", "-5"},
        std::vector<std::string>{"sandbox", "--flaky-failures", "many"},
        std::vector<std::string>{"sandbox", "--no-such-flag"}}) {
    const CommandResult r = RunCommand(PaymentsCommand(args));
    EXPECT_EQ(r.exit_code, 2) << args[1] << ": " << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
  const CommandResult help = RunCommand(PaymentsCommand({"sandbox", "--help"}));
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("SIMULATED"), std::string::npos);
}

}  // namespace
}  // namespace payments::testing
