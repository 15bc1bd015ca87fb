// SIGTERM and SIGINT delivered as events instead of handlers. Construct it in
// main before any other thread starts: it blocks the signals for the process
// (threads inherit the mask) and a watcher thread collects them with sigwait.
// Wait/WaitFor/count are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace payments::serve {

class SignalWatcher {
 public:
  SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;
  ~SignalWatcher();

  // Blocks until at least n signals have arrived or the timeout passes;
  // returns the number received so far.
  int WaitFor(int n, std::chrono::milliseconds timeout);
  int count() const;
  // The name of the last signal ("SIGTERM").
  const char* last() const;

 private:
  void Run();
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
  int last_ = 0;
  std::thread thread_;
};

}  // namespace payments::serve
