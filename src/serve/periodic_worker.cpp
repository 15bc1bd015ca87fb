#include "serve/periodic_worker.h"

#include "telemetry/log.h"

namespace payments::serve {

using Clock = std::chrono::steady_clock;

PeriodicWorker::PeriodicWorker(std::string name, std::chrono::milliseconds interval, Task task)
    : name_(std::move(name)), interval_(interval), task_(std::move(task)) {}

PeriodicWorker::~PeriodicWorker() { Stop(); }

void PeriodicWorker::Start() {
  last_beat_ns_ = Clock::now().time_since_epoch().count();
  running_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void PeriodicWorker::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  running_ = false;
}

void PeriodicWorker::Poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

bool PeriodicWorker::Alive() const {
  if (!running_) return false;
  const auto beat = Clock::time_point(Clock::duration(last_beat_ns_.load()));
  // A run may take a while (a slow database); allow a generous margin.
  const auto allowed = std::max<Clock::duration>(interval_ * 3, std::chrono::seconds(10));
  return Clock::now() - beat < allowed;
}

std::string PeriodicWorker::LastError() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void PeriodicWorker::Loop() {
  while (true) {
    last_beat_ns_ = Clock::now().time_since_epoch().count();
    payments::Status result = task_();
    ++runs_;
    {
      std::unique_lock lock(mu_);
      const std::string error = result ? "" : result.error().message + " " + result.error().detail;
      if (!error.empty() && error != last_error_) {
        log::Warn("background task failed", {{"worker", name_}, {"error", error}});
      }
      last_error_ = error;
      cv_.wait_for(lock, interval_, [&] { return stop_ || poked_; });
      if (stop_) break;
      poked_ = false;
    }
  }
  running_ = false;
}

}  // namespace payments::serve
