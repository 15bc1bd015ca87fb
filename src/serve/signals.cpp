#include "serve/signals.h"

#include <pthread.h>
#include <signal.h>

#include <cstring>

#include "telemetry/log.h"

namespace payments::serve {
namespace {

sigset_t Watched() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);   // a reload, never a stop
  sigaddset(&set, SIGUSR1);  // used only to wake the watcher at exit
  return set;
}

}  // namespace

SignalWatcher::SignalWatcher() {
  sigset_t set = Watched();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  thread_ = std::thread([this] { Run(); });
}

SignalWatcher::~SignalWatcher() {
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
}

void SignalWatcher::Run() {
  sigset_t set = Watched();
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGUSR1) return;
    if (sig == SIGHUP) {
      Hangup();
      continue;
    }
    {
      std::lock_guard lock(mu_);
      ++count_;
      last_ = sig;
    }
    cv_.notify_all();
  }
}

void SignalWatcher::Hangup() {
  std::lock_guard lock(hangup_mu_);
  if (on_hangup_) {
    on_hangup_();
  } else {
    log::Info("SIGHUP ignored", {{"reason", "nothing to reload"}});
  }
}

void SignalWatcher::OnHangup(std::function<void()> handler) {
  std::lock_guard lock(hangup_mu_);
  on_hangup_ = std::move(handler);
}

int SignalWatcher::WaitFor(int n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return count_ >= n; });
  return count_;
}

int SignalWatcher::count() const {
  std::lock_guard lock(mu_);
  return count_;
}

const char* SignalWatcher::last() const {
  std::lock_guard lock(mu_);
  return last_ == SIGINT ? "SIGINT" : last_ == SIGTERM ? "SIGTERM" : "none";
}

}  // namespace payments::serve
