#include "serve/flag_refresher.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <utility>
#include <vector>

#include "store/flag_store.h"
#include "telemetry/log.h"

namespace payments::serve {
namespace {

using Clock = std::chrono::steady_clock;

FlagRefresherOptions WithDefaults(FlagRefresherOptions options) {
  // A read stuck behind a lock (an ALTER TABLE on the flags) must not hold up
  // Stop(): bound it, and try again at the next poll.
  if (options.connect.statement_timeout.count() == 0) {
    options.connect.statement_timeout = std::chrono::seconds(2);
  }
  return options;
}

std::string ErrorText(const Error& e) { return e.detail.empty() ? e.message : e.detail; }

// (key, version) of every stored flag: equal when nothing changed.
std::vector<std::pair<std::string, int64_t>> Signature(const flags::Snapshot& snapshot) {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto* flag : snapshot.All()) out.emplace_back(flag->key, flag->version);
  return out;
}

}  // namespace

FlagRefresher::FlagRefresher(FlagRefresherOptions options)
    : options_(WithDefaults(std::move(options))) {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  // Without it the worker could not be stopped; there is no sensible recovery.
  if (wake_fd_ < 0) std::abort();
}

FlagRefresher::~FlagRefresher() {
  Stop();
  close(wake_fd_);
}

void FlagRefresher::Start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  {
    std::lock_guard lock(mu_);
    health_.running = true;
  }
  thread_ = std::thread([this] { Run(); });
}

void FlagRefresher::Stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
  thread_.join();
  uint64_t drained = 0;
  (void)!read(wake_fd_, &drained, sizeof drained);
}

void FlagRefresher::RefreshSoon() {
  refresh_requested_ = true;
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
}

bool FlagRefresher::WaitUntilLoaded(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return loaded_cv_.wait_for(lock, timeout, [this] { return health_.loaded; });
}

FlagRefresherHealth FlagRefresher::Health() const {
  std::lock_guard lock(mu_);
  return health_;
}

void FlagRefresher::Run() {
  auto backoff = options_.reconnect_initial;
  Clock::time_point next_poll = Clock::now();
  while (!stopping_) {
    if (!conn_) {
      if (!Connect()) {
        SleepFor(backoff);
        backoff = std::min(backoff * 2, options_.reconnect_max);
        continue;
      }
      // Read after LISTEN, so a change committed in between is not missed;
      // this also catches up with changes made while disconnected.
      const bool read = Refresh();
      if (read) backoff = options_.reconnect_initial;
      if (!conn_) {  // lost again at once: back off, the server may be flapping
        SleepFor(backoff);
        backoff = std::min(backoff * 2, options_.reconnect_max);
      }
      next_poll = Clock::now() + options_.poll_interval;
      continue;
    }
    const auto now = Clock::now();
    bool reread = now >= next_poll;
    if (!reread) {
      reread =
          WaitForChange(std::chrono::duration_cast<std::chrono::milliseconds>(next_poll - now) +
                        std::chrono::milliseconds(1));
      if (Clock::now() >= next_poll) reread = true;
    }
    if (stopping_ || !conn_ || !reread) continue;
    // Notifications that arrive during a read may describe a change the read
    // did not see: read again until none did.
    while (Refresh() && conn_ && DrainNotifications() && !stopping_) {
    }
    next_poll = Clock::now() + options_.poll_interval;
  }
  conn_.reset();
  std::lock_guard lock(mu_);
  health_.running = false;
  health_.listening = false;
}

bool FlagRefresher::Connect() {
  auto conn = db::Connection::Open(options_.connect);
  if (!conn) {
    NoteFailure("connect: " + ErrorText(conn.error()));
    return false;
  }
  auto listened =
      (*conn)->Exec(fmt::format("LISTEN {}", db::QuoteIdentifier(store::kFlagsChannel)));
  if (!listened) {
    NoteFailure("listen: " + ErrorText(listened.error()));
    return false;
  }
  conn_ = std::move(*conn);
  std::lock_guard lock(mu_);
  health_.listening = true;
  return true;
}

bool FlagRefresher::Refresh() {
  // What is queued now is covered by the read that follows.
  DrainNotifications();
  if (!conn_) return false;
  auto rows = store::ListFlags(*conn_);
  if (!rows) {
    if (conn_->broken()) {
      conn_.reset();
      std::lock_guard lock(mu_);
      health_.listening = false;
    }
    NoteFailure("read: " + ErrorText(rows.error()));
    return false;
  }
  auto next = flags::Snapshot::Build(store::ToSnapshotEntries(*rows));
  const auto previous = snapshot_.exchange(next);
  const bool changed = Signature(*previous) != Signature(*next);
  bool recovered = false;
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::system_clock::now();
    recovered = !health_.last_error.empty();
    health_.loaded = true;
    health_.last_refresh = now;
    health_.last_attempt = now;
    health_.last_error.clear();
    health_.refreshes++;
    health_.flags = next->size();
  }
  loaded_cv_.notify_all();
  if (changed || recovered) {
    log::Info("flags loaded", {{"flags", next->size()}, {"recovered", recovered}});
  }
  return true;
}

bool FlagRefresher::WaitForChange(std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{conn_->socket(), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  const int ms = static_cast<int>(std::clamp<int64_t>(timeout.count(), 0, 60'000));
  const int n = poll(fds, 2, ms);
  if (n <= 0) return false;  // timeout (the caller checks the poll deadline) or EINTR
  bool reread = false;
  if (fds[1].revents & POLLIN) {
    uint64_t drained = 0;
    (void)!read(wake_fd_, &drained, sizeof drained);
    reread = refresh_requested_.exchange(false);
  }
  if (fds[0].revents != 0) reread = DrainNotifications() || reread;
  return reread && conn_ != nullptr;
}

bool FlagRefresher::DrainNotifications() {
  if (!conn_) return false;
  auto notifications = conn_->TakeNotifications();
  if (!notifications) {
    NoteFailure(fmt::format("listen: {}", notifications.error().detail));
    conn_.reset();
    std::lock_guard lock(mu_);
    health_.listening = false;
    return false;
  }
  return !notifications->empty();
}

void FlagRefresher::NoteFailure(std::string error) {
  while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
  bool first = false;
  {
    std::lock_guard lock(mu_);
    first = health_.last_error != error;
    health_.last_attempt = std::chrono::system_clock::now();
    health_.last_error = error;
    health_.failures++;
  }
  // Once per distinct error, not once per retry.
  if (first) {
    log::Warn("flags: cannot refresh; the last snapshot stays in force",
              {{"error", error}, {"loaded", Health().loaded}});
  }
}

void FlagRefresher::SleepFor(std::chrono::milliseconds duration) {
  pollfd fd{wake_fd_, POLLIN, 0};
  if (poll(&fd, 1, static_cast<int>(duration.count())) > 0) {
    // Run checks stopping_ next; a refresh request is served by the read
    // that follows the reconnect.
    uint64_t drained = 0;
    (void)!read(wake_fd_, &drained, sizeof drained);
  }
}

void ReportFlags(FlagRefresher& flags, Health& health, telemetry::Metrics& metrics) {
  health.AddProbe("flags", [&flags]() {
    const FlagRefresherHealth h = flags.Health();
    if (!h.running) return Health::Check{"flags", false, "the flags worker is not running"};
    std::string detail;
    if (!h.loaded) {
      detail = "compiled defaults: the flags were never read";
    } else {
      const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now() - *h.last_refresh);
      detail = fmt::format("{} stored flags, read {} ms ago", h.flags, age.count());
    }
    if (!h.last_error.empty()) detail += "; last attempt failed: " + h.last_error;
    return Health::Check{"flags", true, detail};
  });
  metrics.AddCollector([&flags](telemetry::MetricsWriter& w) {
    w.Family("payments_flag_evaluations_total", "counter", "Flag evaluations by flag and value.");
    for (const flags::EvaluationCount& c : flags.EvaluationCounts()) {
      w.Sample("payments_flag_evaluations_total", {{"flag", c.flag}, {"value", c.value}},
               static_cast<double>(c.count));
    }
    const FlagRefresherHealth h = flags.Health();
    w.Family("payments_flags_last_refresh_timestamp_seconds", "gauge",
             "When the flags were last read from the database (0: never).");
    w.Sample("payments_flags_last_refresh_timestamp_seconds", {},
             h.last_refresh
                 ? std::chrono::duration<double>(h.last_refresh->time_since_epoch()).count()
                 : 0);
    w.Family("payments_flags_loaded", "gauge",
             "1 when the flags in force were read from the database, 0 on compiled defaults.");
    w.Sample("payments_flags_loaded", {}, h.loaded ? 1 : 0);
    w.Family("payments_flags_listening", "gauge", "1 while LISTEN for flag changes is in force.");
    w.Sample("payments_flags_listening", {}, h.listening ? 1 : 0);
    w.Family("payments_flags_refresh_failures_total", "counter",
             "Failed attempts to connect to or read the flags.");
    w.Sample("payments_flags_refresh_failures_total", {}, static_cast<double>(h.failures));
  });
}

}  // namespace payments::serve
