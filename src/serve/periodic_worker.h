// A background thread that runs a task every `interval` until stopped: the
// database health probe, the idempotency purge, the instance heartbeat. It
// tells readiness whether it is still going (a worker that died or hangs makes
// the instance unready). Start/Stop from one owner thread; Alive and
// LastError from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/error.h"

namespace payments::serve {

class PeriodicWorker {
 public:
  using Task = std::function<payments::Status()>;

  PeriodicWorker(std::string name, std::chrono::milliseconds interval, Task task);
  PeriodicWorker(const PeriodicWorker&) = delete;
  PeriodicWorker& operator=(const PeriodicWorker&) = delete;
  ~PeriodicWorker();

  void Start();
  // Wakes the worker and waits for its current run to end.
  void Stop();
  // Runs the task now instead of at the next tick.
  void Poke();

  const std::string& name() const { return name_; }
  // True while the thread runs and its last iteration began recently.
  bool Alive() const;
  // The error of the last run, "" after a success.
  std::string LastError() const;
  int64_t runs() const { return runs_; }

 private:
  void Loop();

  const std::string name_;
  const std::chrono::milliseconds interval_;
  const Task task_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool poked_ = false;
  std::string last_error_;
  std::atomic<bool> running_{false};
  std::atomic<int64_t> last_beat_ns_{0};
  std::atomic<int64_t> runs_{0};
};

}  // namespace payments::serve
