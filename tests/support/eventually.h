// Waiting for a condition in a test: poll it with a deadline, never sleep a
// fixed time and hope.
//
//   ASSERT_TRUE(Eventually([&] { return writes > 10; }));
//
// Header-only; call from one thread.
#pragma once

#include <chrono>
#include <thread>

namespace payments::testing {

// Polls `condition` every few milliseconds until it holds (true) or the
// deadline passes (false, after one last look).
template <typename Fn>
bool Eventually(Fn condition, std::chrono::seconds deadline = std::chrono::seconds(60)) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

}  // namespace payments::testing
