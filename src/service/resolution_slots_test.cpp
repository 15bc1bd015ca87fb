#include "service/resolution_slots.h"

#include <gtest/gtest.h>

namespace payments::service {
namespace {

TEST(ResolutionSlotsTest, OneKeyCannotTakeEverySlot) {
  ResolutionSlots slots(3, 2);
  EXPECT_TRUE(slots.TryTake("mer_a"));
  EXPECT_TRUE(slots.TryTake("mer_a"));
  EXPECT_FALSE(slots.TryTake("mer_a"));  // its own share is used up
  EXPECT_TRUE(slots.TryTake("mer_b"));   // another merchant still gets one
  EXPECT_FALSE(slots.TryTake("mer_c"));  // and the total holds
  EXPECT_EQ(slots.used(), 3);
  slots.Give("mer_a");
  EXPECT_TRUE(slots.TryTake("mer_c"));
  slots.Give("mer_unknown");  // never taken: nothing changes
  EXPECT_EQ(slots.used(), 3);
  slots.Give("mer_a");
  slots.Give("mer_b");
  slots.Give("mer_c");
  EXPECT_EQ(slots.used(), 0);
  EXPECT_TRUE(slots.TryTake("mer_a"));
}

}  // namespace
}  // namespace payments::service
