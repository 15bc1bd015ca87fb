#include "core/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace payments {
namespace {

TEST(IdsTest, HasPrefixAndFixedLength) {
  const std::string id = NewId("pay");
  EXPECT_EQ(id.substr(0, 4), "pay_");
  EXPECT_EQ(id.size(), 4u + 26u);
  EXPECT_TRUE(IsWellFormedId(id, "pay"));
  EXPECT_FALSE(IsWellFormedId(id, "re"));
}

TEST(IdsTest, AreUniqueAndSortByTime) {
  using std::chrono::milliseconds;
  const auto t0 = std::chrono::system_clock::time_point(milliseconds(1'700'000'000'000));
  const std::string earlier = NewId("pay", t0);
  const std::string later = NewId("pay", t0 + milliseconds(1));
  EXPECT_LT(earlier, later);
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) seen.insert(NewId("pay", t0));
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(IdsTest, RejectsMalformed) {
  EXPECT_FALSE(IsWellFormedId("pay_", "pay"));
  EXPECT_FALSE(IsWellFormedId("pay_01jd8k3m6w9q4r2t7v5x0y1z3", "pay"));   // 25 chars
  EXPECT_FALSE(IsWellFormedId("pay_01jd8k3m6w9q4r2t7v5x0y1z3u", "pay"));  // 'u' not Crockford
  EXPECT_FALSE(IsWellFormedId("pay_01JD8K3M6W9Q4R2T7V5X0Y1Z3A", "pay"));  // upper case
  EXPECT_FALSE(IsWellFormedId("pay_01jd8k3m6w9q4r2t7v5x0y1z3a'", "pay"));
  EXPECT_TRUE(IsWellFormedId("pay_01jd8k3m6w9q4r2t7v5x0y1z3a", "pay"));
}

}  // namespace
}  // namespace payments
