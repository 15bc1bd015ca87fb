// How a Migrator runs (lock wait, timeouts, retries, batch sizes, --force)
// and the events it reports while it runs (progress, retries, warnings), for
// the CLI to print. Plain data; Emit is thread-safe as on_event is.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "migrate/backfill.h"

namespace payments::migrate {

enum class EventKind { kInfo, kWarning, kRetry, kProgress };

struct MigratorEvent {
  EventKind kind = EventKind::kInfo;
  std::string message;
  BackfillProgress progress;  // kProgress
};

struct MigratorOptions {
  std::chrono::seconds lock_wait{0};  // 0: fail at once if another migrator runs
  std::chrono::milliseconds default_lock_timeout{1000};
  std::chrono::milliseconds default_statement_timeout{60'000};  // steps in a transaction, batches
  int lock_retries = 10;
  std::chrono::milliseconds backoff_initial{200};
  std::chrono::milliseconds backoff_max{5000};
  int batch_size = kDefaultBatchSize;
  std::chrono::milliseconds batch_pause = kDefaultBatchPause;
  std::chrono::seconds instance_stale_after{30};
  bool force = false;  // run past the instance interlock (with a warning)
  std::function<void(const MigratorEvent&)> on_event;
};

// Calls options.on_event, if set, with an event of this kind.
inline void Emit(const MigratorOptions& options, EventKind kind, std::string message) {
  if (!options.on_event) return;
  MigratorEvent e;
  e.kind = kind;
  e.message = std::move(message);
  options.on_event(e);
}

}  // namespace payments::migrate
