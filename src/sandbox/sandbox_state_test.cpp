#include "sandbox/sandbox_state.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sandbox/sandbox_journal.h"

namespace payments::sandbox {
namespace {

using json = nlohmann::json;

// Keeps the lines in memory; can be told to fail.
class FakeJournal final : public JournalSink {
 public:
  payments::Result<uint64_t> Append(std::string_view line) override {
    if (fail) return std::unexpected(Error::Unavailable("disk full"));
    lines.emplace_back(line);
    return lines.size();
  }
  std::vector<std::string> lines;
  bool fail = false;
};

std::string AuthorizeBody(const std::string& number, int64_t amount, bool capture,
                          const std::string& merchant = "acct_1") {
  return fmt::format(
      R"({{"amount":{},"currency":"usd","capture":{},"merchant":"{}","reference":"pay_1",)"
      R"("card":{{"number":"{}","exp_month":12,"exp_year":2030}}}})",
      amount, capture ? "true" : "false", merchant, number);
}

class SandboxStateTest : public ::testing::Test {
 protected:
  SandboxStateTest() : state_(Options(2), journal_) {}

  static StateOptions Options(int flaky) {
    StateOptions o;
    o.flaky_failures = flaky;
    o.now = [] { return int64_t{1'800'000'000}; };
    return o;
  }

  static Mutation Authorize(const std::string& key, const std::string& number,
                            int64_t amount = 1000, bool capture = true,
                            const std::string& merchant = "acct_1") {
    const std::string body = AuthorizeBody(number, amount, capture, merchant);
    auto parsed = ParseRequest(Operation::kAuthorize, body);
    EXPECT_TRUE(parsed.has_value()) << body;
    return Mutation{.key = key,
                    .hash = RequestHash("POST", "/v1/authorizations", body),
                    .authorization_id = "",
                    .request = *parsed};
  }

  static Mutation FollowUp(const std::string& key, Operation op, const std::string& id,
                           const std::string& body = "{}") {
    auto parsed = ParseRequest(op, body);
    EXPECT_TRUE(parsed.has_value()) << body;
    const std::string path = fmt::format("/v1/authorizations/{}/{}", id,
                                         op == Operation::kRefund ? "refunds" : ToString(op));
    return Mutation{.key = key,
                    .hash = RequestHash("POST", path, body),
                    .authorization_id = id,
                    .request = *parsed};
  }

  // Executes as the server does: durable (the fake is at once), then settled.
  Reply Do(const Mutation& m) {
    Reply r = state_.Execute(m);
    if (!r.settle_key.empty()) state_.Settle(r.settle_key);
    return r;
  }

  std::string AuthorizedId(const std::string& key, const std::string& number, int64_t amount = 1000,
                           bool capture = true) {
    const Reply r = Do(Authorize(key, number, amount, capture));
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).value("id", "");
  }

  json Balances() { return json::parse(state_.Balances().body)["data"]; }

  FakeJournal journal_;
  State state_;
};

std::string Code(const Reply& r) { return json::parse(r.body)["error"].value("code", ""); }

TEST_F(SandboxStateTest, ApprovesAndReplaysTheStoredAnswerForTheSameKeyAndRequest) {
  const Reply first = Do(Authorize("k1", "4242424242424242", 1500));
  ASSERT_EQ(first.status, 200) << first.body;
  const json a = json::parse(first.body);
  EXPECT_EQ(a["object"], "authorization");
  EXPECT_EQ(a["status"], "captured");
  EXPECT_EQ(a["amount_captured"], 1500);
  EXPECT_EQ(a["card"]["brand"], "visa");
  EXPECT_EQ(a["card"]["last4"], "4242");
  EXPECT_EQ(a["created"], 1'800'000'000);
  EXPECT_TRUE(a["id"].get<std::string>().starts_with("sbx_au_"));
  EXPECT_EQ(a["id"].get<std::string>().size(), 27u);
  EXPECT_FALSE(first.replayed);
  ASSERT_EQ(journal_.lines.size(), 1u);
  EXPECT_EQ(journal_.lines[0].find("4242424242424242"), std::string::npos);

  const Reply again = Do(Authorize("k1", "4242424242424242", 1500));
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(journal_.lines.size(), 1u);
  EXPECT_EQ(Balances()[0]["captured"], 1500);
}

TEST_F(SandboxStateTest, TheSameKeyWithAnotherRequestIs422AndMovesNothing) {
  ASSERT_EQ(Do(Authorize("k1", "4242424242424242", 1500)).status, 200);
  const Reply other = Do(Authorize("k1", "4242424242424242", 1600));
  EXPECT_EQ(other.status, 422);
  EXPECT_EQ(Code(other), "idempotency_key_reused");
  EXPECT_EQ(journal_.lines.size(), 1u);
  EXPECT_EQ(Balances()[0]["captured"], 1500);
}

TEST_F(SandboxStateTest, AKeyInFlightIs409ForRequestsAndLookupsUntilSettled) {
  const Reply first = state_.Execute(Authorize("k1", "4242424242424242"));
  ASSERT_EQ(first.status, 200);
  ASSERT_TRUE(first.durable_ticket.has_value());
  EXPECT_EQ(Code(state_.Execute(Authorize("k1", "4242424242424242"))), "idempotency_key_in_use");
  const Reply lookup = state_.Lookup("k1");
  EXPECT_EQ(lookup.status, 409);
  EXPECT_EQ(Code(lookup), "idempotency_key_in_use");
  state_.Settle("k1");
  const Reply found = state_.Lookup("k1");
  ASSERT_EQ(found.status, 200);
  const json j = json::parse(found.body);
  EXPECT_EQ(j["key"], "k1");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["body"], json::parse(first.body));
}

TEST_F(SandboxStateTest, ALookupOfAnUnknownKeyClosesItDurablyAndALateRequestIsRefused) {
  const Reply lookup = state_.Lookup("late");
  EXPECT_EQ(lookup.status, 404);
  EXPECT_EQ(Code(lookup), "resource_missing");
  ASSERT_TRUE(lookup.durable_ticket.has_value());
  ASSERT_EQ(journal_.lines.size(), 1u);
  EXPECT_EQ(json::parse(journal_.lines[0])["type"], "close");

  const Reply late = Do(Authorize("late", "4242424242424242"));
  EXPECT_EQ(late.status, 409);
  EXPECT_EQ(Code(late), "idempotency_key_closed");
  EXPECT_TRUE(Balances().empty());
  // A second lookup says the same and journals nothing more.
  EXPECT_EQ(state_.Lookup("late").status, 404);
  EXPECT_EQ(journal_.lines.size(), 1u);
}

TEST_F(SandboxStateTest, DeclinesAreRecordedUnderTheKeyAndMoveNothing) {
  const std::vector<std::pair<std::string, std::string>> cards = {
      {"4000000000000002", "card_declined"},
      {"4000000000009995", "insufficient_funds"},
      {"4000000000000069", "expired_card"},
      {"4000000000000127", "incorrect_cvc"},
      {"4000000000000119", "processing_error"}};
  int n = 0;
  for (const auto& [number, code] : cards) {
    const std::string key = fmt::format("decline-{}", n++);
    const Reply r = Do(Authorize(key, number));
    EXPECT_EQ(r.status, 402) << number;
    EXPECT_EQ(json::parse(r.body)["error"]["type"], "card_error");
    EXPECT_EQ(Code(r), code);
    const Reply again = Do(Authorize(key, number));
    EXPECT_TRUE(again.replayed);
    EXPECT_EQ(again.status, 402);
    EXPECT_EQ(again.body, r.body);
    EXPECT_EQ(json::parse(state_.Lookup(key).body)["status"], 402);
  }
  EXPECT_EQ(journal_.lines.size(), cards.size());
  EXPECT_TRUE(Balances().empty());
  EXPECT_TRUE(state_.Dump()["authorizations"].empty());
}

TEST_F(SandboxStateTest, CaptureOnceFromAuthorizedUpToTheAmount) {
  const std::string id = AuthorizedId("a", "4242424242424242", 1000, false);
  EXPECT_TRUE(Balances().empty());
  const Reply too_much = Do(FollowUp("c0", Operation::kCapture, id, R"({"amount":1001})"));
  EXPECT_EQ(too_much.status, 400);
  EXPECT_EQ(Code(too_much), "amount_too_large");
  const Reply captured = Do(FollowUp("c1", Operation::kCapture, id, R"({"amount":600})"));
  ASSERT_EQ(captured.status, 200) << captured.body;
  EXPECT_EQ(json::parse(captured.body)["status"], "captured");
  EXPECT_EQ(json::parse(captured.body)["amount_captured"], 600);
  const Reply twice = Do(FollowUp("c2", Operation::kCapture, id, R"({"amount":100})"));
  EXPECT_EQ(twice.status, 409);
  EXPECT_EQ(Code(twice), "invalid_state");
  const Reply missing =
      Do(FollowUp("c3", Operation::kCapture, "sbx_au_00000000000000000000", R"({"amount":1})"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Code(missing), "resource_missing");
  EXPECT_EQ(Balances()[0]["captured"], 600);
  // A capture without an amount takes the whole of it.
  const std::string id2 = AuthorizedId("b", "4242424242424242", 700, false);
  EXPECT_EQ(json::parse(Do(FollowUp("c4", Operation::kCapture, id2)).body)["amount_captured"], 700);
}

TEST_F(SandboxStateTest, CancelVoidsAnAuthorizationOrAnUnrefundedCapture) {
  const std::string authorized = AuthorizedId("a1", "4242424242424242", 500, false);
  const Reply voided = Do(FollowUp("x1", Operation::kCancel, authorized));
  ASSERT_EQ(voided.status, 200);
  EXPECT_EQ(json::parse(voided.body)["status"], "canceled");
  EXPECT_EQ(Code(Do(FollowUp("x2", Operation::kCancel, authorized))), "invalid_state");
  EXPECT_EQ(Code(Do(FollowUp("x3", Operation::kCapture, authorized))), "invalid_state");

  const std::string sale = AuthorizedId("a2", "4242424242424242", 800, true);
  EXPECT_EQ(Balances()[0]["captured"], 800);
  const Reply same_day = Do(FollowUp("x4", Operation::kCancel, sale));
  ASSERT_EQ(same_day.status, 200);
  EXPECT_EQ(json::parse(same_day.body)["amount_captured"], 0);
  EXPECT_TRUE(Balances().empty());
  EXPECT_EQ(Code(Do(FollowUp("x5", Operation::kRefund, sale, R"({"amount":1})"))), "invalid_state");

  const std::string refunded = AuthorizedId("a3", "4242424242424242", 900, true);
  ASSERT_EQ(Do(FollowUp("x6", Operation::kRefund, refunded, R"({"amount":100})")).status, 200);
  EXPECT_EQ(Code(Do(FollowUp("x7", Operation::kCancel, refunded))), "invalid_state");
}

TEST_F(SandboxStateTest, RefundsNeverExceedWhatWasCaptured) {
  const std::string id = AuthorizedId("a", "4242424242424242", 1000, true);
  const Reply first = Do(FollowUp("r1", Operation::kRefund, id, R"({"amount":400})"));
  ASSERT_EQ(first.status, 200) << first.body;
  const json refund = json::parse(first.body);
  EXPECT_EQ(refund["object"], "refund");
  EXPECT_EQ(refund["authorization"], id);
  EXPECT_EQ(refund["status"], "succeeded");
  EXPECT_TRUE(refund["id"].get<std::string>().starts_with("sbx_re_"));
  EXPECT_EQ(state_.GetRefund(refund["id"].get<std::string>()).status, 200);

  const Reply over = Do(FollowUp("r2", Operation::kRefund, id, R"({"amount":601})"));
  EXPECT_EQ(over.status, 400);
  EXPECT_EQ(Code(over), "amount_too_large");
  ASSERT_EQ(Do(FollowUp("r3", Operation::kRefund, id)).status, 200);  // the remaining 600
  EXPECT_EQ(Code(Do(FollowUp("r4", Operation::kRefund, id, R"({"amount":1})"))), "invalid_state");
  EXPECT_EQ(json::parse(state_.GetAuthorization(id).body)["amount_refunded"], 1000);
  const json b = Balances();
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0]["captured"], 1000);
  EXPECT_EQ(b[0]["refunded"], 1000);
  EXPECT_EQ(b[0]["net"], 0);

  const std::string uncaptured = AuthorizedId("b", "4242424242424242", 1000, false);
  EXPECT_EQ(Code(Do(FollowUp("r5", Operation::kRefund, uncaptured, R"({"amount":1})"))),
            "invalid_state");
}

TEST_F(SandboxStateTest, ACardThatCannotBeReversedFailsEveryCancelAndRefundRecorded) {
  const std::string id = AuthorizedId("a", "4000000000005126", 1000, true);
  const size_t lines = journal_.lines.size();
  const Reply cancel = Do(FollowUp("c", Operation::kCancel, id));
  EXPECT_EQ(cancel.status, 402);
  EXPECT_EQ(Code(cancel), "processing_error");
  const Reply refund = Do(FollowUp("r", Operation::kRefund, id, R"({"amount":10})"));
  EXPECT_EQ(refund.status, 402);
  EXPECT_EQ(journal_.lines.size(), lines + 2);  // recorded
  EXPECT_TRUE(Do(FollowUp("r", Operation::kRefund, id, R"({"amount":10})")).replayed);
  EXPECT_EQ(Balances()[0]["captured"], 1000);
  EXPECT_EQ(Balances()[0]["refunded"], 0);
}

TEST_F(SandboxStateTest, TheSlowCardIsMarkedAndApproves) {
  EXPECT_TRUE(ProfileOf("4000000000000341").slow);
  EXPECT_EQ(Do(Authorize("s", "4000000000000341")).status, 200);
}

TEST_F(SandboxStateTest, TheNoAnswerCardRecordsNothing) {
  const Reply r = Do(Authorize("h", "4000000000000259"));
  EXPECT_EQ(r.delivery, Reply::Delivery::kHoldThenDrop);
  EXPECT_FALSE(r.durable_ticket.has_value());
  EXPECT_TRUE(journal_.lines.empty());
  EXPECT_EQ(state_.Lookup("h").status, 404);  // closes it
  EXPECT_EQ(Code(Do(Authorize("h", "4000000000000259"))), "idempotency_key_closed");
}

// The fault cards, 400000000007 <operation> <fault> 0 <check digit>.
struct FaultCase {
  Operation op;
  Fault fault;
  std::string number;
};

TEST_F(SandboxStateTest, EachFaultCardFaultsItsOperationOnly) {
  const std::vector<FaultCase> cases = {
      {Operation::kAuthorize, Fault::kNoAnswer, "4000000000071102"},
      {Operation::kAuthorize, Fault::kLostAfterCommit, "4000000000071201"},
      {Operation::kAuthorize, Fault::kServerError, "4000000000071300"},
      {Operation::kCapture, Fault::kNoAnswer, "4000000000072100"},
      {Operation::kCapture, Fault::kLostAfterCommit, "4000000000072209"},
      {Operation::kCapture, Fault::kServerError, "4000000000072308"},
      {Operation::kCancel, Fault::kNoAnswer, "4000000000073108"},
      {Operation::kCancel, Fault::kLostAfterCommit, "4000000000073207"},
      {Operation::kCancel, Fault::kServerError, "4000000000073306"},
      {Operation::kRefund, Fault::kNoAnswer, "4000000000074106"},
      {Operation::kRefund, Fault::kLostAfterCommit, "4000000000074205"},
      {Operation::kRefund, Fault::kServerError, "4000000000074304"},
  };
  int n = 0;
  for (const FaultCase& c : cases) {
    SCOPED_TRACE(c.number);
    const CardProfile profile = ProfileOf(c.number);
    EXPECT_EQ(profile.fault_operation, static_cast<int>(c.op));
    EXPECT_EQ(profile.fault, c.fault);
    const std::string k = fmt::format("f{}-", n++);
    const size_t before = journal_.lines.size();
    auto check = [&](const Reply& r, size_t lines_added) {
      switch (c.fault) {
        case Fault::kNoAnswer:
          EXPECT_EQ(r.delivery, Reply::Delivery::kHoldThenDrop);
          EXPECT_EQ(journal_.lines.size(), before + lines_added);
          break;
        case Fault::kLostAfterCommit:
          EXPECT_EQ(r.delivery, Reply::Delivery::kDrop);
          EXPECT_EQ(r.status, 200);
          EXPECT_TRUE(r.durable_ticket.has_value());
          EXPECT_EQ(journal_.lines.size(), before + lines_added + 1);
          break;
        case Fault::kServerError:
          EXPECT_EQ(r.status, 500);
          EXPECT_EQ(Code(r), "internal_error");
          EXPECT_EQ(json::parse(r.body)["error"]["type"], "api_error");
          EXPECT_EQ(journal_.lines.size(), before + lines_added);
          break;
        case Fault::kNone:
          break;
      }
    };
    if (c.op == Operation::kAuthorize) {
      check(Do(Authorize(k + "a", c.number)), 0);
      continue;
    }
    // Authorize (and the other operations) behave normally.
    const bool capture = c.op != Operation::kCapture;
    const Reply a = Do(Authorize(k + "a", c.number, 1000, capture));
    ASSERT_EQ(a.status, 200);
    EXPECT_EQ(a.delivery, Reply::Delivery::kAnswer);
    const std::string id = json::parse(a.body)["id"];
    const std::string body = c.op == Operation::kCancel ? "{}" : R"({"amount":100})";
    const Reply r = Do(FollowUp(k + "op", c.op, id, body));
    check(r, 1);
    if (c.fault == Fault::kLostAfterCommit) {
      // The result is stored: a retry with the key replays it.
      const Reply again = Do(FollowUp(k + "op", c.op, id, body));
      EXPECT_TRUE(again.replayed);
      EXPECT_EQ(again.body, r.body);
      EXPECT_EQ(again.delivery, Reply::Delivery::kAnswer);
    }
    if (c.op == Operation::kRefund) {
      // Another operation on the same authorization is normal.
      EXPECT_EQ(Do(FollowUp(k + "x", Operation::kCancel, id)).status,
                c.fault == Fault::kLostAfterCommit ? 409 : 200);
    }
  }
}

TEST_F(SandboxStateTest, TheFlakyCardFailsTheFirstAttemptsOfEachKeyThenApproves) {
  for (int i = 0; i < 2; ++i) {
    const Reply r = Do(Authorize("flaky-1", "4000000000007999"));
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(Code(r), "temporarily_unavailable");
  }
  EXPECT_TRUE(journal_.lines.empty());
  EXPECT_EQ(Do(Authorize("flaky-1", "4000000000007999")).status, 200);
  EXPECT_TRUE(Do(Authorize("flaky-1", "4000000000007999")).replayed);
  // Another key counts afresh.
  EXPECT_EQ(Do(Authorize("flaky-2", "4000000000007999")).status, 503);
  FakeJournal other_journal;
  State none(Options(0), other_journal);
  EXPECT_EQ(none.Execute(Authorize("k", "4000000000007999")).status, 200);
}

TEST_F(SandboxStateTest, AJournalThatCannotBeWrittenChangesNothing) {
  const std::string id = AuthorizedId("a", "4242424242424242", 1000, true);
  const auto dump = state_.Dump();
  journal_.fail = true;
  EXPECT_EQ(Do(FollowUp("r", Operation::kRefund, id, R"({"amount":10})")).status, 500);
  EXPECT_EQ(state_.Lookup("nothing").status, 500);
  EXPECT_EQ(Do(Authorize("b", "4000000000000002")).status, 500);
  EXPECT_EQ(state_.Dump(), dump);
}

TEST_F(SandboxStateTest, ReplayingTheJournalRebuildsTheSameState) {
  const std::string id = AuthorizedId("a1", "4242424242424242", 1000, false);
  Do(FollowUp("c1", Operation::kCapture, id, R"({"amount":900})"));
  Do(FollowUp("r1", Operation::kRefund, id, R"({"amount":300})"));
  Do(Authorize("d1", "4000000000000002"));
  const std::string other = AuthorizedId("a2", "5555555555554444", 50, true);
  Do(FollowUp("v1", Operation::kCancel, other));
  AuthorizedId("a3", "378282246310005", 70, true);
  state_.Lookup("closed-1");
  Do(Authorize("a4", "4000000000071201"));  // lost after commit: recorded

  FakeJournal unused;
  State rebuilt(Options(2), unused);
  for (const std::string& line : journal_.lines) ASSERT_TRUE(rebuilt.Replay(line)) << line;
  EXPECT_EQ(rebuilt.Dump(), state_.Dump());
  EXPECT_EQ(rebuilt.Balances().body, state_.Balances().body);
  EXPECT_EQ(Code(rebuilt.Execute(Authorize("closed-1", "4242424242424242"))),
            "idempotency_key_closed");
  EXPECT_TRUE(rebuilt.Execute(Authorize("a3", "378282246310005", 70, true)).replayed);
  EXPECT_TRUE(unused.lines.empty());

  EXPECT_FALSE(rebuilt.Replay("{\"type\":\"result\"}"));
  EXPECT_FALSE(rebuilt.Replay("not json"));
}

TEST(SandboxParseTest, RefusesEachBadFieldNamingIt) {
  const std::string card = R"("card":{"number":"4242424242424242","exp_month":12,"exp_year":2030})";
  auto body = [&](const std::string& fields) { return fmt::format(R"({{{},{}}})", fields, card); };
  const std::string ok = R"("amount":100,"currency":"usd","merchant":"m","reference":"r")";
  ASSERT_TRUE(ParseRequest(Operation::kAuthorize, body(ok)));
  struct Case {
    std::string body;
    std::string code;
    std::string param;
  };
  const std::vector<Case> cases = {
      {"{", "invalid_json", ""},
      {"[]", "invalid_json", ""},
      {body(R"("currency":"usd","merchant":"m","reference":"r")"), "parameter_missing", "amount"},
      {body(R"("amount":0,"currency":"usd","merchant":"m","reference":"r")"), "parameter_invalid",
       "amount"},
      {body(R"("amount":-5,"currency":"usd","merchant":"m","reference":"r")"), "parameter_invalid",
       "amount"},
      {body(R"("amount":100000000000,"currency":"usd","merchant":"m","reference":"r")"),
       "parameter_invalid", "amount"},
      {body(R"("amount":18446744073709551615,"currency":"usd","merchant":"m","reference":"r")"),
       "parameter_invalid", "amount"},
      {body(R"("amount":1.5,"currency":"usd","merchant":"m","reference":"r")"), "parameter_invalid",
       "amount"},
      {body(R"("amount":"100","currency":"usd","merchant":"m","reference":"r")"),
       "parameter_invalid", "amount"},
      {body(R"("amount":100,"currency":"USD","merchant":"m","reference":"r")"), "parameter_invalid",
       "currency"},
      {body(R"("amount":100,"currency":"usd","capture":"yes","merchant":"m","reference":"r")"),
       "parameter_invalid", "capture"},
      {body(R"("amount":100,"currency":"usd","merchant":"","reference":"r")"), "parameter_invalid",
       "merchant"},
      {body(R"("amount":100,"currency":"usd","merchant":"m\n","reference":"r")"),
       "parameter_invalid", "merchant"},
      {body(R"("amount":100,"currency":"usd","merchant":"m","reference":")" + std::string(65, 'x') +
            "\""),
       "parameter_invalid", "reference"},
      {body(ok + R"(,"extra":1)"), "parameter_invalid", "extra"},
      {fmt::format(
           R"({{{},"card":{{"number":"42424242424242424242","exp_month":1,"exp_year":2030}}}})",
           ok),
       "parameter_invalid", "card.number"},
      {fmt::format(R"({{{},"card":{{"number":"4242424242424241","exp_month":1,"exp_year":2030}}}})",
                   ok),
       "parameter_invalid", "card.number"},
      {fmt::format(R"({{{},"card":{{"number":4242424242424242,"exp_month":1,"exp_year":2030}}}})",
                   ok),
       "parameter_invalid", "card.number"},
      {fmt::format(
           R"({{{},"card":{{"number":"4242424242424242","exp_month":13,"exp_year":2030}}}})", ok),
       "parameter_invalid", "card.exp_month"},
      {fmt::format(R"({{{},"card":{{"number":"4242424242424242","exp_month":1}}}})", ok),
       "parameter_missing", "card.exp_year"},
      {fmt::format(R"({{{}}})", ok), "parameter_missing", "card"},
  };
  for (const Case& c : cases) {
    auto r = ParseRequest(Operation::kAuthorize, c.body);
    ASSERT_FALSE(r) << c.body;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidRequest);
    EXPECT_EQ(r.error().code, c.code) << c.body;
    EXPECT_EQ(r.error().param, c.param) << c.body;
    EXPECT_EQ(r.error().message.find("4242424242424242"), std::string::npos);
  }
  EXPECT_FALSE(ParseRequest(Operation::kCapture, R"({"amount":0})"));
  EXPECT_FALSE(ParseRequest(Operation::kRefund, R"({"amount":-1})"));
  EXPECT_FALSE(ParseRequest(Operation::kCancel, R"({"amount":1})"));
  EXPECT_TRUE(ParseRequest(Operation::kCancel, ""));
  EXPECT_EQ(ParseRequest(Operation::kRefund, R"({"amount":5})")->amount, 5);
}

TEST(SandboxParseTest, IdempotencyKeysArePathSafe) {
  EXPECT_TRUE(ValidateIdempotencyKey("pay_01jd8k3m6w:capture.1-a"));
  EXPECT_TRUE(ValidateIdempotencyKey(std::string(255, 'k')));
  EXPECT_FALSE(ValidateIdempotencyKey(""));
  EXPECT_FALSE(ValidateIdempotencyKey(std::string(256, 'k')));
  EXPECT_FALSE(ValidateIdempotencyKey("a b"));
  EXPECT_FALSE(ValidateIdempotencyKey("a/b"));
  EXPECT_FALSE(ValidateIdempotencyKey(".."));
  EXPECT_NE(RequestHash("POST", "/a", "{}"), RequestHash("POST", "/b", "{}"));
  EXPECT_NE(RequestHash("POST", "/a", "{}"), RequestHash("POST", "/a", "{ }"));
}

// The journal file: lines replayed, a torn tail cut, syncs grouped.
class SandboxJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/payments-sandbox-journal-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/sub/sandbox.journal";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Read() const {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string dir_;
  std::string path_;
};

TEST_F(SandboxJournalTest, ReplaysWhatWasAppendedAndDropsATornLastLine) {
  nlohmann::ordered_json before;
  {
    FakeJournal unused;
    State state(StateOptions{}, unused);
    auto journal = Journal::Open(path_, [&](std::string_view l) { return state.Replay(l); });
    ASSERT_TRUE(journal) << journal.error().message;
    State live(StateOptions{}, **journal);
    for (const std::string key : {"a", "b", "c"}) {
      const std::string body = AuthorizeBody("4242424242424242", 100, true);
      Reply r = live.Execute(Mutation{.key = key,
                                      .hash = RequestHash("POST", "/v1/authorizations", body),
                                      .authorization_id = "",
                                      .request = *ParseRequest(Operation::kAuthorize, body)});
      ASSERT_EQ(r.status, 200);
      (*journal)->WaitDurable(*r.durable_ticket);
      live.Settle(key);
    }
    (void)live.Lookup("closed");
    before = live.Dump();
    EXPECT_GE((*journal)->syncs(), 1);
  }
  const std::string whole = Read();
  {
    std::ofstream out(path_, std::ios::binary | std::ios::app);
    out << R"({"type":"result","key":"d","hash":"0)";  // the process died mid-write
  }
  FakeJournal unused;
  State state(StateOptions{}, unused);
  Journal::Opened opened;
  auto journal = Journal::Open(
      path_, [&](std::string_view l) { return state.Replay(l); }, &opened);
  ASSERT_TRUE(journal) << journal.error().message;
  EXPECT_EQ(opened.lines, 4);
  EXPECT_GT(opened.torn_bytes, 0);
  EXPECT_EQ(Read(), whole);
  EXPECT_EQ(state.Dump(), before);

  // Appends go on from the last whole line.
  ASSERT_TRUE((*journal)->Append(R"({"type":"close","key":"e"})"));
  (*journal)->Close();
  journal->reset();
  FakeJournal unused2;
  State again(StateOptions{}, unused2);
  auto reopened = Journal::Open(
      path_, [&](std::string_view l) { return again.Replay(l); }, &opened);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(opened.lines, 5);
  EXPECT_EQ(opened.torn_bytes, 0);
}

TEST_F(SandboxJournalTest, ACorruptLineInTheMiddleRefusesToOpen) {
  std::filesystem::create_directories(dir_ + "/sub");
  {
    std::ofstream out(path_, std::ios::binary);
    out << "{\"type\":\"close\",\"key\":\"a\"}\nnot json\n{\"type\":\"close\",\"key\":\"b\"}\n";
  }
  FakeJournal unused;
  State state(StateOptions{}, unused);
  auto journal = Journal::Open(path_, [&](std::string_view l) { return state.Replay(l); });
  ASSERT_FALSE(journal);
  EXPECT_NE(journal.error().message.find("line 2"), std::string::npos);
}

TEST_F(SandboxJournalTest, ManyWaitersShareSyncsAndASecondOpenIsRefused) {
  auto journal = Journal::Open(path_, [](std::string_view) { return payments::Status{}; });
  ASSERT_TRUE(journal);
  EXPECT_FALSE(Journal::Open(path_, [](std::string_view) { return payments::Status{}; }));
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto ticket = (*journal)->Append(fmt::format(R"({{"type":"close","key":"t{}-{}"}})", t, i));
        ASSERT_TRUE(ticket);
        (*journal)->WaitDurable(*ticket);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GE((*journal)->syncs(), 1);
  EXPECT_LE((*journal)->syncs(), 200);
  size_t lines = 0;
  for (char c : Read()) lines += c == '\n';
  EXPECT_EQ(lines, 200u);
}

}  // namespace
}  // namespace payments::sandbox
