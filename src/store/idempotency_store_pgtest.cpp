// Idempotency claims across a rotation of the fingerprint key: a record made
// under the previous key answers a retry, and an abandoned claim made under it
// can be taken over, while a different request stays refused.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "db/group_commit.h"
#include "store/idempotency_store.h"
#include "support/test_database.h"

namespace payments::store {
namespace {

using testing::TestDatabase;
using namespace std::chrono_literals;

constexpr char kMerchant[] = "mer_01jd8k3m6w9q4r2t7v5x0y1z3a";

class IdempotencyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.Migrate());
    auto admin = db_.Connect();
    ASSERT_TRUE(admin->Exec("INSERT INTO merchants (id, name) VALUES ($1, 'shop')",
                            db::Params().Add(kMerchant)));
    pool_ = std::make_unique<db::Pool>(
        db::PoolOptions{.connect = {.conninfo = db_.conninfo()}, .size = 2});
    claims_ = std::make_unique<db::GroupCommitter>(*pool_, db::GroupCommitOptions{});
  }

  ClaimResult::Kind Claim(const std::string& hash, const std::string& previous,
                          const std::string& token, std::chrono::milliseconds lock) {
    auto r = ClaimIdempotencyKey(*claims_, *pool_,
                                 {.merchant_id = kMerchant,
                                  .key = "k1",
                                  .method = "POST",
                                  .path = "/v1/payments",
                                  .request_hash = hash,
                                  .previous_request_hash = previous},
                                 token, lock);
    EXPECT_TRUE(r) << r.error().detail;
    return r ? r->kind : ClaimResult::Kind::kInProgress;
  }

  TestDatabase db_;
  std::unique_ptr<db::Pool> pool_;
  std::unique_ptr<db::GroupCommitter> claims_;
};

TEST_F(IdempotencyStoreTest, ACompletedRecordUnderThePreviousKeyAnswersARetry) {
  ASSERT_EQ(Claim("old", "", "t1", 1min), ClaimResult::Kind::kClaimed);
  auto conn = db_.Connect();
  ASSERT_TRUE(CompleteIdempotencyKey(*conn, kMerchant, "k1", "t1", 200, "{}"));
  EXPECT_EQ(Claim("new", "old", "t2", 1min), ClaimResult::Kind::kCompleted);
  EXPECT_EQ(Claim("new", "", "t3", 1min), ClaimResult::Kind::kMismatch);
  EXPECT_EQ(Claim("other", "older", "t4", 1min), ClaimResult::Kind::kMismatch);
}

TEST_F(IdempotencyStoreTest, AnAbandonedClaimUnderThePreviousKeyIsTakenOver) {
  // A lock of 0 ms: the claim's request died and its lock has run out.
  ASSERT_EQ(Claim("old", "", "t1", 0ms), ClaimResult::Kind::kClaimed);
  EXPECT_EQ(Claim("other", "older", "t2", 1min), ClaimResult::Kind::kMismatch);
  EXPECT_EQ(Claim("new", "old", "t3", 1min), ClaimResult::Kind::kClaimed);
  // Now held under the new key's hash: another retry waits for it.
  EXPECT_EQ(Claim("new", "old", "t4", 1min), ClaimResult::Kind::kInProgress);
  auto conn = db_.Connect();
  EXPECT_TRUE(CompleteIdempotencyKey(*conn, kMerchant, "k1", "t3", 200, "{}"));
  EXPECT_EQ(Claim("new", "", "t5", 1min), ClaimResult::Kind::kCompleted);
}

TEST_F(IdempotencyStoreTest, ALiveClaimUnderThePreviousKeyIsNotTakenOver) {
  ASSERT_EQ(Claim("old", "", "t1", 1min), ClaimResult::Kind::kClaimed);
  EXPECT_EQ(Claim("new", "old", "t2", 1min), ClaimResult::Kind::kInProgress);
}

// A key whose reply is still the interim 202 (its processor call pending)
// outlives the 24 hours: a retry a day later finds it instead of charging
// again, and the purge leaves it until its final reply replaces it.
TEST_F(IdempotencyStoreTest, AnInterimReplyOutlivesTheDayUntilItsCallIsSettled) {
  ASSERT_EQ(Claim("h", "", "t1", 1min), ClaimResult::Kind::kClaimed);
  auto conn = db_.Connect();
  ASSERT_TRUE(CompleteIdempotencyKey(*conn, kMerchant, "k1", "t1", 202, "{\"pending\":1}"));
  ASSERT_TRUE(conn->Exec(
      "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'k1'"));
  auto purged = PurgeIdempotencyKeys(*conn, std::chrono::hours(24), 100);
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 0);
  EXPECT_EQ(Claim("h", "", "t2", 1min), ClaimResult::Kind::kCompleted);
  auto stored = FindStoredReply(*conn, kMerchant, "k1");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->status, 202);

  // Settled: the final reply replaces it, and the day's limit applies again.
  const db::BatchItem replace = ReplaceInterimReplyItem(kMerchant, "k1", 200, "{}");
  ASSERT_TRUE(conn->Run(*replace.statement, replace.params));
  EXPECT_EQ((*FindStoredReply(*conn, kMerchant, "k1"))->status, 200);
  purged = PurgeIdempotencyKeys(*conn, std::chrono::hours(24), 100);
  EXPECT_EQ(*purged, 1);
}

}  // namespace
}  // namespace payments::store
