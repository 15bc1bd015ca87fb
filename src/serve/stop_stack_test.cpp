#include "serve/stop_stack.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace payments::serve {
namespace {

TEST(StopStackTest, StopsInTheReverseOrderOfStarting) {
  std::vector<std::string> stopped;
  StopStack stops;
  stops.Push("admin listener", [&] { stopped.push_back("admin listener"); });
  stops.Push("database", [&] { stopped.push_back("database"); });
  stops.Push("public listener", [&] { stopped.push_back("public listener"); });
  EXPECT_EQ(stops.Running(),
            (std::vector<std::string>{"admin listener", "database", "public listener"}));
  stops.StopAll();
  EXPECT_EQ(stopped, (std::vector<std::string>{"public listener", "database", "admin listener"}));
  EXPECT_TRUE(stops.Running().empty());
}

TEST(StopStackTest, StopsEachPartOnceWhateverTheWayOut) {
  int stopped = 0;
  {
    StopStack stops;
    stops.Push("relay", [&] { ++stopped; });
    stops.StopAll();
    stops.StopAll();
  }  // and the destructor
  EXPECT_EQ(stopped, 1);
}

TEST(StopStackTest, TheDestructorStopsWhatAnEarlyReturnLeftRunning) {
  std::vector<std::string> stopped;
  {
    StopStack stops;
    stops.Push("admin listener", [&] { stopped.push_back("admin listener"); });
    stops.Push("flags", [&] { stopped.push_back("flags"); });
  }
  EXPECT_EQ(stopped, (std::vector<std::string>{"flags", "admin listener"}));
}

TEST(StopStackTest, APartPushedWhileStoppingIsStoppedToo) {
  // A part that starts another part while stopping (none does today) is
  // stopped too: StopAll runs until nothing is left.
  std::vector<std::string> stopped;
  StopStack stops;
  stops.Push("outer", [&] {
    stopped.push_back("outer");
    stops.Push("late", [&] { stopped.push_back("late"); });
  });
  stops.StopAll();
  EXPECT_EQ(stopped, (std::vector<std::string>{"outer", "late"}));
}

}  // namespace
}  // namespace payments::serve
