#include "fibers/fiber.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

#include "support/loop_thread.h"

namespace payments::fibers {
namespace {

using namespace std::chrono_literals;
using testing::LoopThread;

TEST(FiberTest, RunsAtOnceUntilItWaitsAndOnlyOnItsLoopThread) {
  std::vector<std::string> order;  // touched on the loop thread only
  std::vector<std::thread::id> threads;
  {
    LoopThread loop;
    loop.Start([&] {
      EXPECT_TRUE(OnFiber());
      order.push_back("a starts");
      threads.push_back(std::this_thread::get_id());
      SleepFor(20ms);
      order.push_back("a resumes");
      threads.push_back(std::this_thread::get_id());
    });
    loop.Start([&] {
      order.push_back("b runs while a sleeps");
      threads.push_back(std::this_thread::get_id());
    });
  }
  EXPECT_FALSE(OnFiber());
  EXPECT_EQ(order, (std::vector<std::string>{"a starts", "b runs while a sleeps", "a resumes"}));
  ASSERT_EQ(threads.size(), 3u);
  EXPECT_EQ(threads[0], threads[1]);
  EXPECT_EQ(threads[0], threads[2]);
}

TEST(FiberTest, AThousandWaitingFibersShareOneThread) {
  int finished = 0;
  {
    LoopThread loop;
    for (int i = 0; i < 1000; ++i) {
      loop.Start([&] {
        SleepFor(5ms);
        ++finished;
      });
    }
  }
  EXPECT_EQ(finished, 1000);
}

TEST(FiberTest, AFiberWaitingOnACondVarIsWokenByAnotherThread) {
  std::mutex mu;
  CondVar cv;
  bool ready = false;
  std::promise<void> waiting;
  std::thread::id woke_on;
  std::thread::id loop_id;
  {
    LoopThread loop;
    loop_id = loop.id();
    loop.Start([&] {
      std::unique_lock lock(mu);
      waiting.set_value();
      cv.Wait(lock, [&] { return ready; });
      woke_on = std::this_thread::get_id();
    });
    waiting.get_future().wait();
    std::lock_guard lock(mu);  // taken only once the fiber has parked
    ready = true;
    cv.NotifyOne();
  }
  EXPECT_EQ(woke_on, loop_id);
}

TEST(FiberTest, AThreadWaitingOnACondVarIsWokenByAFiber) {
  std::mutex mu;
  CondVar cv;
  bool ready = false;
  LoopThread loop;
  std::unique_lock lock(mu);
  loop.Start([&] {
    std::lock_guard l(mu);
    ready = true;
    cv.NotifyAll();
  });
  cv.Wait(lock, [&] { return ready; });
  EXPECT_TRUE(ready);
}

TEST(FiberTest, ACondVarWaitGivesUpAtItsDeadlineAndIsNotifiedBeforeIt) {
  std::mutex mu;
  CondVar cv;
  bool timed_out_wait = true;
  bool notified_wait = false;
  {
    LoopThread loop;
    loop.Start([&] {
      std::unique_lock lock(mu);
      timed_out_wait = cv.WaitUntil(lock, Clock::now() + 10ms);
      // A waiter that gave up is no longer listed: this notification goes
      // to the next waiter, not to it.
      notified_wait = cv.WaitUntil(lock, Clock::now() + 60s);
    });
    loop.Start([&] {
      SleepFor(50ms);
      std::lock_guard lock(mu);
      cv.NotifyOne();
    });
  }
  EXPECT_FALSE(timed_out_wait);
  EXPECT_TRUE(notified_wait);
}

class PipeTest : public ::testing::Test {
 protected:
  PipeTest() { EXPECT_EQ(::pipe(fds_), 0); }
  ~PipeTest() override {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  void Write() { ASSERT_EQ(::write(fds_[1], "x", 1), 1); }
  int read_end() const { return fds_[0]; }

 private:
  int fds_[2] = {-1, -1};
};

TEST_F(PipeTest, AFiberWaitsForItsSocketWhileAnotherRuns) {
  std::vector<std::string> order;
  {
    LoopThread loop;
    loop.Start([&] {
      order.push_back("a waits");
      EXPECT_TRUE(WaitSocket(read_end(), false, std::nullopt));
      order.push_back("a reads");
    });
    loop.Start([&] {
      order.push_back("b writes");
      Write();
    });
  }
  EXPECT_EQ(order, (std::vector<std::string>{"a waits", "b writes", "a reads"}));
}

TEST_F(PipeTest, DataThatArrivedBeforeTheWaitIsSeen) {
  Write();
  bool ready = false;
  {
    LoopThread loop;
    loop.Start([&] { ready = WaitSocket(read_end(), false, Clock::now() + 60s); });
  }
  EXPECT_TRUE(ready);
}

TEST_F(PipeTest, ASocketWaitGivesUpAtItsDeadline) {
  bool on_fiber = true;
  {
    LoopThread loop;
    loop.Start([&] { on_fiber = WaitSocket(read_end(), false, Clock::now() + 10ms); });
  }
  EXPECT_FALSE(on_fiber);
  EXPECT_FALSE(WaitSocket(read_end(), false, Clock::now() + 10ms));  // off a fiber: poll()
}

}  // namespace
}  // namespace payments::fibers
