// The writes of a created payment, as the service sends them, when several
// payments share a transaction and their statements go merged
// (db/merged_statement.h): each payment's rows, ledger entry, events and
// idempotency record come out as if it had been written alone.
#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "db/group_commit.h"
#include "db/merged_statement.h"
#include "events/cloud_event.h"
#include "payments/ledger.h"
#include "store/event_store.h"
#include "store/idempotency_store.h"
#include "store/payment_store.h"
#include "support/eventually.h"
#include "support/matchers.h"
#include "support/test_database.h"

namespace payments::store {
namespace {

using payments::testing::IsOk;

using testing::Eventually;
using testing::QueryValue;
using testing::TestDatabase;

constexpr char kMerchant[] = "mer_01jd8k3m6w9q4r2t7v5x0y1z3a";
constexpr int64_t kCreatedMs = 1764000000123;
constexpr int64_t kCreatedUs = kCreatedMs * 1000 + 456;
constexpr db::Statement kGate{"test.merged_gate", "SELECT pg_advisory_xact_lock(1)"};

std::string Key(int k) { return "key_" + std::to_string(k); }
std::string Token(int k) { return "token_" + std::to_string(k); }
std::string PaymentId(int k) { return "pay_" + std::to_string(k); }

// What CreatePayment writes for an auto-captured payment of k × 100 cents.
std::vector<db::BatchItem> CreateWrites(int k, const std::string& token) {
  Payment p;
  p.id = PaymentId(k);
  p.merchant_id = kMerchant;
  p.amount = k * 100;
  p.currency = "usd";
  p.status = PaymentStatus::kCaptured;
  p.amount_captured = p.amount;
  p.card = StoredCard{"visa", "4242", 12, 2030, "fp"};
  p.processor = "sandbox";
  p.processor_reference = "sbx_" + std::to_string(k);
  p.description = "it's \"quoted\" \\ " + std::to_string(k);
  p.created = kCreatedMs / 1000;
  const std::string body = "{\"id\":\"" + p.id + "\"}";
  return {CompleteIdempotencyKeyItem(kMerchant, Key(k), token, 200, body),
          InsertPaymentItem(p, kCreatedUs),
          InsertLedgerEntryItem({"je_" + std::to_string(k), kMerchant, p.id, std::nullopt,
                                 "capture", CapturePostings("usd", p.amount)},
                                kCreatedMs),
          InsertEventsItem({events::MakeEventFromJson("payment.created", kMerchant, p.id, body),
                            events::MakeEventFromJson("payment.captured", kMerchant, p.id, body)})};
}

class MergedWritesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.Migrate());
    admin_ = db_.Connect();
    ASSERT_TRUE(admin_->Exec("INSERT INTO merchants (id, name) VALUES ($1, 'shop')",
                             db::Params().Add(kMerchant)));
    pool_ = std::make_unique<db::Pool>(
        db::PoolOptions{.connect = {.conninfo = db_.conninfo()}, .size = 4});
    // One slot: what queues behind the gate goes in one transaction.
    writes_ =
        std::make_unique<db::GroupCommitter>(*pool_, db::GroupCommitOptions{.max_in_flight = 1});
    db::GroupCommitter claims(*pool_, {});
    for (int k = 1; k <= 4; ++k) {
      auto claim =
          ClaimIdempotencyKey(claims, *pool_, {kMerchant, Key(k), "POST", "/v1/payments", "hash"},
                              Token(k), std::chrono::minutes(1));
      ASSERT_TRUE(claim && claim->kind == ClaimResult::Kind::kClaimed);
    }
  }

  // Runs the jobs, each on a thread of its own and each one unit of writes_,
  // queued in this order behind a transaction that waits for the test: they
  // share the next transaction.
  void Gated(std::vector<std::function<void()>> jobs) {
    EXPECT_TRUE(admin_->Exec("SELECT pg_advisory_lock(1)"));
    const int64_t batches = writes_->Stats().batches;
    std::vector<std::thread> threads;
    threads.emplace_back([&] { EXPECT_TRUE(writes_->Run({{&kGate, {}, {}}})); });
    EXPECT_TRUE(Eventually([&] { return writes_->Stats().batches == batches + 1; }));
    for (size_t i = 0; i < jobs.size(); ++i) {
      threads.emplace_back(jobs[i]);
      EXPECT_TRUE(Eventually([&] { return writes_->Stats().waiting == static_cast<int>(i) + 1; }));
    }
    EXPECT_TRUE(admin_->Exec("SELECT pg_advisory_unlock(1)"));
    for (auto& t : threads) t.join();
  }

  std::vector<payments::Result<std::vector<db::Rows>>> Together(
      std::vector<std::vector<db::BatchItem>> units) {
    std::vector<payments::Result<std::vector<db::Rows>>> results;
    std::vector<std::function<void()>> jobs;
    for (size_t i = 0; i < units.size(); ++i) results.push_back(std::unexpected(Error()));
    for (size_t i = 0; i < units.size(); ++i) {
      jobs.push_back([&, i] { results[i] = writes_->Run(std::move(units[i])); });
    }
    Gated(std::move(jobs));
    return results;
  }

  // Claims (merchant, key) for `token` through writes_ (so that the claims
  // can share its gated transaction), as the service claims through its own.
  ClaimResult::Kind Claim(const std::string& key, const std::string& token) {
    auto claim =
        ClaimIdempotencyKey(*writes_, *pool_, {kMerchant, key, "POST", "/v1/payments", "hash"},
                            token, std::chrono::minutes(1));
    EXPECT_THAT(claim, IsOk());
    return claim ? claim->kind : ClaimResult::Kind::kInProgress;
  }

  // Claims each (key, token) on a thread of its own, all in one shared
  // transaction, and returns what each got, in order.
  std::vector<ClaimResult::Kind> ClaimTogether(
      const std::vector<std::pair<std::string, std::string>>& claims) {
    std::vector<ClaimResult::Kind> kinds(claims.size(), ClaimResult::Kind::kMismatch);
    std::vector<std::function<void()>> jobs;
    for (size_t i = 0; i < claims.size(); ++i) {
      jobs.push_back([&, i] { kinds[i] = Claim(claims[i].first, claims[i].second); });
    }
    Gated(std::move(jobs));
    return kinds;
  }

  std::string Query(const std::string& sql) { return QueryValue(*admin_, sql); }

  TestDatabase db_;
  std::unique_ptr<db::Connection> admin_;
  std::unique_ptr<db::Pool> pool_;
  std::unique_ptr<db::GroupCommitter> writes_;
};

TEST_F(MergedWritesTest, EachPaymentOfAMergedTransactionIsStoredAsItsOwn) {
  auto results = Together({CreateWrites(1, Token(1)), CreateWrites(2, Token(2)),
                           CreateWrites(3, Token(3)), CreateWrites(4, Token(4))});
  for (auto& r : results) ASSERT_THAT(r, IsOk());
  // The gate, then one statement for each of the four writes of all four.
  EXPECT_EQ(writes_->Stats().statements, 5);
  EXPECT_EQ(writes_->Stats().fallbacks, 0);

  EXPECT_EQ(Query("SELECT string_agg(id || ':' || amount || ':' || description, ',' ORDER BY id) "
                  "FROM payments"),
            "pay_1:100:it's \"quoted\" \\ 1,pay_2:200:it's \"quoted\" \\ 2,"
            "pay_3:300:it's \"quoted\" \\ 3,pay_4:400:it's \"quoted\" \\ 4");
  EXPECT_EQ(Query("SELECT string_agg(DISTINCT (extract(epoch FROM created_at) * 1000000)::bigint"
                  "::text, ',') FROM payments"),
            std::to_string(kCreatedUs));
  // Every entry its own postings, balanced, in the order given.
  EXPECT_EQ(Query("SELECT string_agg(e.payment_id || ':' || p.account || ':' || p.amount, ',' "
                  "ORDER BY p.id) FROM ledger_postings p JOIN ledger_entries e ON e.id = "
                  "p.entry_id"),
            "pay_1:processor_receivable:100,pay_1:merchant_balance:-100,"
            "pay_2:processor_receivable:200,pay_2:merchant_balance:-200,"
            "pay_3:processor_receivable:300,pay_3:merchant_balance:-300,"
            "pay_4:processor_receivable:400,pay_4:merchant_balance:-400");
  // Events in commit order: each payment's two, payment by payment.
  EXPECT_EQ(Query("SELECT string_agg(subject || ':' || type, ',' ORDER BY seq) FROM events"),
            "pay_1:payment.created,pay_1:payment.captured,pay_2:payment.created,"
            "pay_2:payment.captured,pay_3:payment.created,pay_3:payment.captured,"
            "pay_4:payment.created,pay_4:payment.captured");
  // Every key completed with its own reply.
  EXPECT_EQ(Query("SELECT string_agg(key || ':' || response_status || ':' || response_body, ',' "
                  "ORDER BY key) FROM idempotency_keys WHERE claim_token IS NULL"),
            "key_1:200:{\"id\":\"pay_1\"},key_2:200:{\"id\":\"pay_2\"},"
            "key_3:200:{\"id\":\"pay_3\"},key_4:200:{\"id\":\"pay_4\"}");
}

TEST_F(MergedWritesTest, APaymentWhoseClaimWasLostFailsAloneAndTheOthersCommit) {
  auto results = Together(
      {CreateWrites(1, Token(1)), CreateWrites(2, "taken_over"), CreateWrites(3, Token(3))});
  ASSERT_THAT(results[0], IsOk());
  ASSERT_FALSE(results[1]);
  EXPECT_TRUE(IsClaimLost(results[1].error())) << results[1].error().sqlstate;
  ASSERT_THAT(results[2], IsOk());
  EXPECT_EQ(writes_->Stats().fallbacks, 1);
  EXPECT_EQ(Query("SELECT string_agg(id, ',' ORDER BY id) FROM payments"), "pay_1,pay_3");
  EXPECT_EQ(Query("SELECT string_agg(payment_id, ',' ORDER BY payment_id) FROM ledger_entries"),
            "pay_1,pay_3");
  EXPECT_EQ(Query("SELECT count(*) FROM events WHERE subject = 'pay_2'"), "0");
  EXPECT_EQ(Query("SELECT claim_token FROM idempotency_keys WHERE key = 'key_2'"), Token(2));
}

TEST_F(MergedWritesTest, APaymentWhoseKeyIsGoneFailsAloneAndLeavesNoKeyBehind) {
  // A claim can be gone before its request finishes: committed without
  // waiting for its flush, it is lost if the database crashes meanwhile.
  ASSERT_TRUE(admin_->Exec("DELETE FROM idempotency_keys WHERE key = 'key_2'"));
  auto results =
      Together({CreateWrites(1, Token(1)), CreateWrites(2, Token(2)), CreateWrites(3, Token(3))});
  ASSERT_THAT(results[0], IsOk());
  ASSERT_FALSE(results[1]);
  EXPECT_TRUE(IsClaimLost(results[1].error())) << results[1].error().sqlstate;
  ASSERT_THAT(results[2], IsOk());
  EXPECT_EQ(Query("SELECT string_agg(id, ',' ORDER BY id) FROM payments"), "pay_1,pay_3");
  EXPECT_EQ(Query("SELECT count(*) FROM idempotency_keys WHERE key = 'key_2'"), "0");
}

// A prepared statement keeps the generic plan it makes first; made on a
// young table, a plan that joins the keys to idempotency_keys scans it all,
// and keeps scanning as it grows. The completion must find keys by the
// primary key whatever the plan.
TEST_F(MergedWritesTest, MergedCompletionFindsKeysByThePrimaryKeyInAGenericPlan) {
  const db::BatchItem one = CompleteIdempotencyKeyItem(kMerchant, Key(1), Token(1), 200, "{}");
  const db::Statement* four = db::Merged(*one.statement, 4);
  ASSERT_NE(four, nullptr);
  ASSERT_TRUE(admin_->ExecScript("SET plan_cache_mode = force_generic_plan"));
  ASSERT_TRUE(admin_->ExecScript("PREPARE complete4 AS " + std::string(four->sql)));
  std::string args;
  for (int k = 1; k <= 4; ++k) {
    args += (k > 1 ? ", '" : "'") + std::string(kMerchant) + "', '" + Key(k) + "', '" + Token(k) +
            "', 200, '{}'";
  }
  auto plan = admin_->ExecScript("EXPLAIN EXECUTE complete4(" + args + ")");
  ASSERT_THAT(plan, IsOk());
  std::string text;
  for (int r = 0; r < plan->size(); ++r) text += plan->String(r, 0) + "\n";
  EXPECT_EQ(text.find("Scan on idempotency_keys"), std::string::npos) << text;
  // And it completes all four.
  auto done = admin_->ExecScript("EXECUTE complete4(" + args + ")");
  ASSERT_THAT(done, IsOk());
  EXPECT_EQ(Query("SELECT count(*) FROM idempotency_keys WHERE completed_at IS NOT NULL"), "4");
}

TEST_F(MergedWritesTest, ClaimsOfSeveralRequestsInOneStatementEachFindTheirOwnToken) {
  const int64_t statements = writes_->Stats().statements;
  const auto kinds = ClaimTogether(
      {{"key_a", "token_a"}, {"key_b", "token_b"}, {"key_c", "token_c"}, {"key_d", "token_d"}});
  for (auto kind : kinds) EXPECT_EQ(kind, ClaimResult::Kind::kClaimed);
  EXPECT_EQ(writes_->Stats().statements - statements, 2);  // the gate and the four claims
  EXPECT_EQ(Query("SELECT string_agg(key || ':' || claim_token, ',' ORDER BY key) FROM "
                  "idempotency_keys WHERE key ~ '^key_[a-d]$'"),
            "key_a:token_a,key_b:token_b,key_c:token_c,key_d:token_d");
  // Claimed now, by another request: no claim for a second token.
  EXPECT_EQ(Claim("key_b", "token_e"), ClaimResult::Kind::kInProgress);
}

TEST_F(MergedWritesTest, ClaimsThatLoseInAMergedStatementFindWhoHoldsTheirKey) {
  // key_1 is claimed (SetUp), key_2 completed; the other two are new.
  ASSERT_TRUE(writes_->Run(CreateWrites(2, Token(2))));
  const int64_t statements = writes_->Stats().statements;
  const auto kinds = ClaimTogether({{Key(1), "token_other1"},
                                    {"key_new1", "token_new1"},
                                    {Key(2), "token_other2"},
                                    {"key_new2", "token_new2"}});
  EXPECT_EQ(writes_->Stats().statements - statements, 2);  // the gate and the four claims
  EXPECT_EQ(kinds[0], ClaimResult::Kind::kInProgress);
  EXPECT_EQ(kinds[1], ClaimResult::Kind::kClaimed);
  EXPECT_EQ(kinds[2], ClaimResult::Kind::kCompleted);
  EXPECT_EQ(kinds[3], ClaimResult::Kind::kClaimed);
  EXPECT_EQ(Query("SELECT claim_token FROM idempotency_keys WHERE key = 'key_1'"), Token(1));
}

TEST_F(MergedWritesTest, TwoClaimsOfOneKeyInOneStatementOnlyOneWins) {
  const int64_t statements = writes_->Stats().statements;
  const auto kinds =
      ClaimTogether({{"key_x", "token_x1"}, {"key_x", "token_x2"}, {"key_y", "token_y"}});
  // Only one of the two is tried; the other finds it claimed. Nothing fails
  // and nothing runs again alone.
  EXPECT_EQ(writes_->Stats().fallbacks, 0);
  EXPECT_EQ(writes_->Stats().statements - statements, 3);  // the gate, then 2 + 1 claims
  const bool first_won = kinds[0] == ClaimResult::Kind::kClaimed;
  EXPECT_EQ(kinds[first_won ? 1 : 0], ClaimResult::Kind::kInProgress);
  EXPECT_EQ(kinds[first_won ? 0 : 1], ClaimResult::Kind::kClaimed);
  EXPECT_EQ(kinds[2], ClaimResult::Kind::kClaimed);
  EXPECT_EQ(Query("SELECT claim_token FROM idempotency_keys WHERE key = 'key_x'"),
            first_won ? "token_x1" : "token_x2");
}

}  // namespace
}  // namespace payments::store
