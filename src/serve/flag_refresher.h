// Keeps an instance's flags in step with the database. A background thread
// holds its own connection (not one of the pool's), LISTENs on
// `payments_flags` and re-reads the table when a change is announced, and
// also every poll_interval in case a notification was missed. Every read
// builds a new immutable Snapshot and swaps it in atomically, so a change
// reaches every instance within a second and a request never sees half a
// change.
//
// When the table cannot be read (the database is down, the table is gone, a
// privilege was revoked) the last good snapshot stays in force; if there never
// was one, the compiled defaults do (Snapshot::Empty()). A lost connection is
// reopened with backoff; after every (re)connect the table is read again, so
// changes made while disconnected are picked up.
//
//   serve::FlagRefresher flags({.connect = {.conninfo = url}});
//   flags.Start();
//   flags.WaitUntilLoaded(std::chrono::seconds(2));   // optional, before readiness
//   if (!flags.Evaluate(flags::known::kProcessorSandboxEnabled, {.merchant_id = m}).value) ...
//   ReportFlags(flags, health, metrics);              // /readyz and /metrics
//   flags.Stop();
//
// Thread-safe: Start/Stop from the owner; everything else from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/error.h"
#include "db/connection.h"
#include "flags/flag_source.h"
#include "serve/health.h"
#include "telemetry/metrics.h"

namespace payments::serve {

struct FlagRefresherOptions {
  db::ConnectOptions connect;  // a dedicated connection, separate from the pool
  // Re-read this often even without a notification.
  std::chrono::milliseconds poll_interval{5000};
  // Reconnect backoff after a failure: doubles from initial up to max.
  std::chrono::milliseconds reconnect_initial{100};
  std::chrono::milliseconds reconnect_max{2000};
};

struct FlagRefresherHealth {
  bool running = false;    // the worker thread is alive
  bool listening = false;  // connected, with LISTEN in force
  bool loaded = false;     // a snapshot read from the database is in force
  // The last successful read, and the last attempt (successful or not).
  std::optional<std::chrono::system_clock::time_point> last_refresh;
  std::optional<std::chrono::system_clock::time_point> last_attempt;
  std::string last_error;  // empty when the last attempt succeeded
  int64_t refreshes = 0;   // successful reads
  int64_t failures = 0;    // failed connects and reads
  size_t flags = 0;        // stored flags in the snapshot in force
};

class FlagRefresher final : public flags::FlagSource {
 public:
  explicit FlagRefresher(FlagRefresherOptions options);
  FlagRefresher(const FlagRefresher&) = delete;
  FlagRefresher& operator=(const FlagRefresher&) = delete;
  ~FlagRefresher() override;  // Stop()

  // Starts the worker; returns at once (the first read happens on the worker).
  void Start();
  // Stops the worker and closes its connection; the last snapshot stays
  // readable. Returns within about the connect timeout at worst.
  void Stop();

  // Waits until a snapshot read from the database is in force; false on timeout.
  bool WaitUntilLoaded(std::chrono::milliseconds timeout) const;
  // Asks the worker to re-read now (for tools and tests); returns at once.
  void RefreshSoon();

  std::shared_ptr<const flags::Snapshot> snapshot() const override { return snapshot_.load(); }
  FlagRefresherHealth Health() const;

 private:
  void Run();
  // Connects and LISTENs; false (with the error noted) on failure.
  bool Connect();
  // Reads the table and swaps the snapshot; false (noted) on failure.
  bool Refresh();
  // Waits for a notification, a wake-up or the timeout. Returns whether to
  // re-read; drops the connection when it broke.
  bool WaitForChange(std::chrono::milliseconds timeout);
  bool DrainNotifications();
  void NoteFailure(std::string error);
  void SleepFor(std::chrono::milliseconds duration);

  const FlagRefresherOptions options_;
  std::atomic<std::shared_ptr<const flags::Snapshot>> snapshot_{flags::Snapshot::Empty()};

  std::thread thread_;
  int wake_fd_ = -1;  // eventfd: Stop and RefreshSoon wake the worker
  std::atomic<bool> stopping_{false};
  std::atomic<bool> refresh_requested_{false};
  std::unique_ptr<db::Connection> conn_;  // the worker's only

  mutable std::mutex mu_;
  mutable std::condition_variable loaded_cv_;
  FlagRefresherHealth health_;
};

// Wires a refresher into serve's readiness and /metrics: a "flags" probe
// (ok while the worker runs; the detail says how fresh the snapshot is — stale
// flags are safe values, so staleness alone does not fail readiness) and the
// families payments_flag_evaluations_total{flag,value},
// payments_flags_last_refresh_timestamp_seconds, payments_flags_loaded,
// payments_flags_listening and payments_flags_refresh_failures_total.
// `flags` must outlive health and metrics' use of it.
void ReportFlags(FlagRefresher& flags, Health& health, telemetry::Metrics& metrics);

}  // namespace payments::serve
