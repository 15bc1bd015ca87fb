#include "flags/flag.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "flags/snapshot.h"

namespace payments::flags {
namespace {

constexpr int kMerchants = 100000;

std::vector<std::string> MerchantIds() {
  std::vector<std::string> ids;
  ids.reserve(kMerchants);
  // Sequential ids are the hard case for a hash: they differ in a few bytes.
  for (int i = 0; i < kMerchants; ++i) ids.push_back(fmt::format("mer_{:08}", i));
  return ids;
}

std::shared_ptr<const Snapshot> Rollout(std::string key, int buckets) {
  Definition d;
  d.rule = Rule::kRollout;
  d.rollout_buckets = buckets;
  std::vector<SnapshotEntry> entries;
  entries.push_back({std::move(key), d, 1});
  return Snapshot::Build(std::move(entries));
}

TEST(RolloutTest, SharesAreWithinOnePercentOverAHundredThousandMerchants) {
  constexpr BoolFlag kFlag{"test.rollout", false, ""};
  const std::vector<std::string> ids = MerchantIds();
  for (int percent : {1, 5, 10, 25, 50, 75, 90, 99}) {
    auto snapshot = Rollout(std::string(kFlag.key), percent * 100);
    int on = 0;
    for (const std::string& id : ids) {
      Evaluation<bool> e = Evaluate(*snapshot, kFlag, {.merchant_id = id});
      EXPECT_EQ(e.reason, Reason::kRollout);
      on += e.value ? 1 : 0;
    }
    const double share = 100.0 * on / kMerchants;
    EXPECT_NEAR(share, percent, 1.0) << "rollout of " << percent << " %";
  }
}

TEST(RolloutTest, RaisingThePercentageKeepsEveryMerchantThatWasOn) {
  constexpr BoolFlag kFlag{"test.sticky", false, ""};
  const std::vector<std::string> ids = MerchantIds();
  std::vector<bool> before(ids.size(), false);
  for (int buckets : {0, 1000, 1050, 2000, 5000, 9999, 10000}) {
    auto snapshot = Rollout(std::string(kFlag.key), buckets);
    int on = 0;
    for (size_t i = 0; i < ids.size(); ++i) {
      const bool now = Evaluate(*snapshot, kFlag, {.merchant_id = ids[i]}).value;
      if (before[i]) {
        ASSERT_TRUE(now) << ids[i] << " dropped out when the rollout grew to " << buckets
                         << " buckets";
      }
      before[i] = now;
      on += now ? 1 : 0;
    }
    if (buckets == 0) {
      EXPECT_EQ(on, 0);
    }
    if (buckets == kRolloutBuckets) {
      EXPECT_EQ(on, kMerchants);
    }
  }
}

TEST(RolloutTest, DifferentFlagsPickDifferentMerchants) {
  // Otherwise every 10 % rollout would land on the same unlucky merchants.
  const std::vector<std::string> ids = MerchantIds();
  int both = 0;
  for (const std::string& id : ids) {
    const bool a = RolloutBucket("feature.a", id) < 1000;
    const bool b = RolloutBucket("feature.b", id) < 1000;
    both += a && b ? 1 : 0;
  }
  // Independent 10 % samples overlap on about 1 %.
  EXPECT_NEAR(100.0 * both / kMerchants, 1.0, 0.3);
}

TEST(RolloutTest, BucketsAreStableAcrossVersionsOfThisCode) {
  // Pinned values (also computed by the reference in the docs): a change to the
  // hash would silently move merchants in and out of every running rollout.
  EXPECT_EQ(RolloutBucket("a", "b"), 6011);
  EXPECT_EQ(RolloutBucket("processor.sandbox.enabled", "mer_00000001"), 8213);
  EXPECT_NE(RolloutBucket("a.b", "c"), RolloutBucket("a.bc", ""));
  EXPECT_EQ(RolloutBucketFromKeyHash(KeyHash("a"), "b"), RolloutBucket("a", "b"));
}

TEST(FlagKeyTest, AcceptsDottedLowerCaseKeysOnly) {
  EXPECT_TRUE(IsValidFlagKey("processor.sandbox.enabled"));
  EXPECT_TRUE(IsValidFlagKey("schema.payments_x-y.stage2"));
  EXPECT_FALSE(IsValidFlagKey(""));
  EXPECT_FALSE(IsValidFlagKey("Processor.enabled"));
  EXPECT_FALSE(IsValidFlagKey(".leading"));
  EXPECT_FALSE(IsValidFlagKey("trailing."));
  EXPECT_FALSE(IsValidFlagKey("double..dot"));
  EXPECT_FALSE(IsValidFlagKey("with space"));
  EXPECT_FALSE(IsValidFlagKey(std::string(129, 'a')));
}

}  // namespace
}  // namespace payments::flags
