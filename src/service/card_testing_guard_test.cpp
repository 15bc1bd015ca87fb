#include "service/card_testing_guard.h"

#include <gtest/gtest.h>

namespace payments::service {
namespace {

using namespace std::chrono_literals;
using Clock = CardTestingGuard::Clock;

constexpr CardTestingOptions kOptions{
    .min_declines = 5, .decline_ratio = 0.5, .window = 60s, .cooldown = 120s};

TEST(CardTestingGuardTest, ManyDeclinesPauseTheMerchantForTheCooldownThenCountingStartsAfresh) {
  CardTestingGuard guard(kOptions);
  const Clock::time_point t0 = Clock::time_point{} + 1h;
  for (int i = 0; i < 4; ++i) guard.Record("mer_a", true, t0 + std::chrono::seconds(i));
  EXPECT_TRUE(guard.Check("mer_a", t0 + 4s).has_value());
  guard.Record("mer_a", true, t0 + 5s);
  auto held = guard.Check("mer_a", t0 + 6s);
  ASSERT_FALSE(held.has_value());
  EXPECT_EQ(held.error().kind, ErrorKind::kRateLimited);
  EXPECT_EQ(held.error().code, "card_testing_suspected");
  EXPECT_EQ(held.error().retry_after_seconds, 119);
  EXPECT_TRUE(guard.Check("mer_b", t0 + 6s).has_value());  // others go on
  EXPECT_EQ(guard.Counters(t0 + 6s).trips, 1);
  EXPECT_EQ(guard.Counters(t0 + 6s).refused, 1);
  EXPECT_EQ(guard.Counters(t0 + 6s).held_merchants, 1);
  EXPECT_TRUE(guard.Check("mer_a", t0 + 5s + 120s).has_value());
  guard.Record("mer_a", true, t0 + 126s);  // one decline after the pause is not a trip
  EXPECT_TRUE(guard.Check("mer_a", t0 + 127s).has_value());
}

TEST(CardTestingGuardTest, DeclinesThatAreAMinorityOfABusyMerchantsAttemptsDoNotTrip) {
  CardTestingGuard guard(kOptions);
  const Clock::time_point t0{};
  for (int i = 0; i < 1000; ++i) {
    guard.Record("mer_big", i % 5 == 0, t0 + std::chrono::milliseconds(i * 50));  // 20 %
  }
  EXPECT_TRUE(guard.Check("mer_big", t0 + 50s).has_value());
  EXPECT_EQ(guard.Counters(t0 + 50s).trips, 0);
}

TEST(CardTestingGuardTest, DeclinesOutsideTheWindowAreForgotten) {
  CardTestingGuard guard(kOptions);
  const Clock::time_point t0{};
  // Four declines, then a quiet two minutes, then one more: no trip.
  for (int i = 0; i < 4; ++i) guard.Record("mer_a", true, t0 + std::chrono::seconds(i));
  guard.Record("mer_a", true, t0 + 130s);
  EXPECT_TRUE(guard.Check("mer_a", t0 + 131s).has_value());
  // The previous window counts by how much of it still overlaps: four
  // declines at the end of one window and one early in the next do trip.
  CardTestingGuard sliding(kOptions);
  for (int i = 0; i < 4; ++i) sliding.Record("mer_a", true, t0 + 55s + std::chrono::seconds(i));
  sliding.Record("mer_a", true, t0 + 61s);
  sliding.Record("mer_a", true, t0 + 62s);
  EXPECT_FALSE(sliding.Check("mer_a", t0 + 63s).has_value());
}

TEST(CardTestingGuardTest, ZeroMinimumTurnsTheGuardOff) {
  CardTestingGuard guard({.min_declines = 0});
  for (int i = 0; i < 1000; ++i) guard.Record("mer_a", true, Clock::time_point{});
  EXPECT_TRUE(guard.Check("mer_a", Clock::time_point{}).has_value());
}

}  // namespace
}  // namespace payments::service
