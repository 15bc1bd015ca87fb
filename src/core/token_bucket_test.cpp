#include "core/token_bucket.h"

#include <gtest/gtest.h>

#include <string>

namespace payments {
namespace {

using namespace std::chrono_literals;
using Clock = TokenBucket::Clock;

TEST(TokenBucketTest, StartsFullSpendsItsBurstThenRefusesWithRetryAfter) {
  const TokenBucketPolicy policy{.rate = 2, .burst = 4};
  const Clock::time_point t0{};
  TokenBucket b(policy, t0);
  for (int i = 0; i < 4; ++i) {
    const TokenBucketDecision d = b.Take(policy, t0);
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 3 - i);
  }
  const TokenBucketDecision refused = b.Take(policy, t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.retry_after, 1);    // one token at 2/s: half a second, rounded up
  EXPECT_EQ(refused.reset_seconds, 2);  // four tokens at 2/s
  EXPECT_TRUE(b.Take(policy, t0 + 500ms).allowed);
  EXPECT_FALSE(b.Take(policy, t0 + 500ms).allowed);
}

TEST(TokenBucketTest, RefillsAtTheRateAndNeverBeyondTheBurst) {
  const TokenBucketPolicy policy{.rate = 10, .burst = 5};
  const Clock::time_point t0{};
  TokenBucket b(policy, t0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(b.Take(policy, t0).allowed);
  EXPECT_FALSE(b.Full(policy, t0 + 100ms));
  EXPECT_TRUE(b.Full(policy, t0 + 1h));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.Take(policy, t0 + 1h).allowed) << i;
  EXPECT_FALSE(b.Take(policy, t0 + 1h).allowed);
}

TEST(TokenBucketTest, APeekTakesNothingAndASlowRateGivesALongRetryAfter) {
  const TokenBucketPolicy per_minute{.rate = 1.0 / 60, .burst = 1};
  const Clock::time_point t0{};
  TokenBucket b(per_minute, t0);
  EXPECT_TRUE(b.Peek(per_minute, t0).allowed);
  EXPECT_TRUE(b.Peek(per_minute, t0).allowed);
  EXPECT_TRUE(b.Take(per_minute, t0).allowed);
  const TokenBucketDecision d = b.Peek(per_minute, t0 + 30s);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 30);
  EXPECT_EQ(per_minute.WindowSeconds(), 60);
}

TEST(TokenBucketTest, AClockThatStepsBackGivesNothingBack) {
  const TokenBucketPolicy policy{.rate = 1, .burst = 1};
  const Clock::time_point t0 = Clock::time_point{} + 10s;
  TokenBucket b(policy, t0);
  ASSERT_TRUE(b.Take(policy, t0).allowed);
  EXPECT_FALSE(b.Take(policy, t0 - 5s).allowed);
  EXPECT_FALSE(b.Take(policy, t0 + 500ms).allowed);
}

TEST(TokenBucketTest, ADisabledPolicyAllowsEverything) {
  const TokenBucketPolicy off{.rate = 0, .burst = 0};
  KeyedTokenBuckets buckets(off);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(buckets.Take("k", Clock::time_point{}).allowed);
  EXPECT_EQ(buckets.size(), 0u);
}

TEST(KeyedTokenBucketsTest, KeysHaveBucketsOfTheirOwn) {
  KeyedTokenBuckets buckets({.rate = 1, .burst = 2});
  const Clock::time_point t0{};
  EXPECT_TRUE(buckets.Take("a", t0).allowed);
  EXPECT_TRUE(buckets.Take("a", t0).allowed);
  EXPECT_FALSE(buckets.Take("a", t0).allowed);
  EXPECT_TRUE(buckets.Take("b", t0).allowed);
  EXPECT_FALSE(buckets.Peek("a", t0).allowed);
  EXPECT_TRUE(buckets.Peek("never-seen", t0).allowed);
  EXPECT_EQ(buckets.size(), 2u);  // a peek at an unknown key keeps nothing
}

TEST(KeyedTokenBucketsTest, AFloodOfKeysStaysBoundedAndDropsRefilledBucketsFirst) {
  KeyedTokenBuckets buckets({.rate = 1, .burst = 1}, /*max_keys=*/160);
  const Clock::time_point t0{};
  for (int i = 0; i < 100'000; ++i) (void)buckets.Take("addr-" + std::to_string(i), t0);
  EXPECT_LE(buckets.size(), 160u);
  // Buckets that have refilled go first: a key spent at t0 is still
  // refused after a thousand keys spent an hour before and some new ones.
  KeyedTokenBuckets fresh({.rate = 1, .burst = 1}, 160);
  for (int i = 0; i < 1000; ++i) (void)fresh.Take("old-" + std::to_string(i), t0 - 1h);
  ASSERT_TRUE(fresh.Take("attacker", t0).allowed);
  for (int i = 0; i < 40; ++i) (void)fresh.Take("new-" + std::to_string(i), t0);
  EXPECT_FALSE(fresh.Take("attacker", t0).allowed);
  EXPECT_LE(fresh.size(), 160u);
}

}  // namespace
}  // namespace payments
