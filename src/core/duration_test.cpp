#include "core/duration.h"

#include <gtest/gtest.h>

namespace payments {
namespace {

using std::chrono::milliseconds;

TEST(DurationTest, UnitsFromMillisecondsToDays) {
  EXPECT_EQ(ParseDuration("1500"), milliseconds(1500));
  EXPECT_EQ(ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(ParseDuration("2s"), milliseconds(2000));
  EXPECT_EQ(ParseDuration("1min"), milliseconds(60'000));
  EXPECT_EQ(ParseDuration("15m"), milliseconds(15 * 60'000));
  EXPECT_EQ(ParseDuration("24h"), milliseconds(24 * 3'600'000LL));
  EXPECT_EQ(ParseDuration(" 7d "), milliseconds(7 * 86'400'000LL));
  EXPECT_EQ(ParseDuration("0"), milliseconds(0));
}

TEST(DurationTest, WhatIsNotADurationIsRefused) {
  for (const char* bad : {"", "-1s", "+1s", "1.5s", "1w", "s", "1 s s", "1sec", "1e3", "0x10",
                          "1s;DROP TABLE api_keys", "１s"}) {
    EXPECT_FALSE(ParseDuration(bad)) << bad;
  }
}

TEST(DurationTest, CountsWhoseMillisecondsOverflowAreRefused) {
  // Found while fuzzing migration files (fuzz/regressions/migration_file/):
  // the multiplication overflowed, undefined behaviour.
  EXPECT_FALSE(ParseDuration("999999999999999999min"));
  EXPECT_FALSE(ParseDuration("9223372036854776s"));
  EXPECT_FALSE(ParseDuration("106751991167301d"));
  EXPECT_EQ(ParseDuration("9223372036854775s"), milliseconds(9223372036854775000));
  EXPECT_EQ(ParseDuration("9223372036854775807ms"), milliseconds(9223372036854775807));
}

TEST(DurationTest, AUnitIsToldApartFromABareNumber) {
  EXPECT_TRUE(DurationHasUnit("30s"));
  EXPECT_TRUE(DurationHasUnit("7d "));
  EXPECT_FALSE(DurationHasUnit("3600"));
  EXPECT_FALSE(DurationHasUnit(""));
}

}  // namespace
}  // namespace payments
