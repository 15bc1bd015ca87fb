// SIGTERM and SIGINT delivered as events instead of handlers, and SIGHUP as a
// call. Construct it in main before any other thread starts: it blocks the
// signals for the process (threads inherit the mask) and a watcher thread
// collects them with sigwait. SIGTERM and SIGINT are counted (the shutdown
// signals); SIGHUP is not: it runs the hang-up handler on the watcher thread,
// or is logged and ignored without one, so it never stops the process (its
// default action would).
// Wait/WaitFor/count/OnHangup are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
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

  // What SIGHUP does from now on (empty: logged and ignored). Waits for a
  // handler still running, so once it returns the previous one will not run.
  void OnHangup(std::function<void()> handler);

 private:
  void Run();
  void Hangup();
  std::mutex hangup_mu_;  // held while the handler runs
  std::function<void()> on_hangup_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
  int last_ = 0;
  std::thread thread_;
};

}  // namespace payments::serve
