// The batched backfill runner: an UPDATE applied one primary-key range at a
// time, each range in its own short transaction that also moves the
// checkpoint (table schema_backfills), so a run killed at any point resumes
// after the last committed batch and no row is updated by two batches.
// Batches wait `pause` between them, run under lock_timeout (retried with
// backoff when a writer holds a row) and statement_timeout, and report
// progress after each batch.
//
// Drives the migrator's connection; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/error.h"
#include "db/connection.h"
#include "migrate/plan.h"

namespace payments::migrate {

struct BackfillProgress {
  int64_t version = 0;
  int ordinal = 0;
  std::string table;
  std::string origin;          // "backfill at line 4"
  int64_t keys_done = 0;       // rows visited (key range covered), all runs together
  int64_t keys_total = 0;      // estimate of the rows to visit; 0 when unknown
  int64_t rows_updated = 0;    // rows the UPDATE changed, all runs together
  double rows_per_second = 0;  // keys visited per second in this run
  bool resumed = false;        // this run started from a checkpoint
  bool finished = false;
};

// Small batches with a pause between them by default: what costs concurrent
// writes is the length of each batch's burst, not the backfill's total work.
// On 2 shared cores, batches of 1000 rows raised the p99 of concurrent
// inserts 7x, batches of 20 rows 5 ms apart 1.4x (bench/README.md,
// "Backfill"). Raise both for speed where the database has cores to spare.
inline constexpr int kDefaultBatchSize = 20;
inline constexpr std::chrono::milliseconds kDefaultBatchPause{5};

struct BackfillOptions {
  int batch_size = kDefaultBatchSize;
  std::chrono::milliseconds pause = kDefaultBatchPause;
  std::chrono::milliseconds lock_timeout{1000};
  std::chrono::milliseconds statement_timeout{60'000};
  int lock_retries = 10;
  std::chrono::milliseconds backoff_initial{200};
  std::chrono::milliseconds backoff_max{5000};
  std::function<void(const BackfillProgress&)> on_progress;
  // Told about each lock timeout before the batch is retried.
  std::function<void(const std::string&)> on_retry;
};

// Registers a backfill of migration `version` in schema_backfills (inside the
// caller's transaction, so it exists exactly when the migration is applied).
// Looks up the table's single-column primary key; fails if it has none.
payments::Status RegisterBackfill(db::Connection& conn, int64_t version, const BackfillSpec& spec);

// Runs (or resumes) one registered backfill to completion.
payments::Status RunBackfill(db::Connection& conn, int64_t version, int ordinal,
                             const BackfillOptions& options);

}  // namespace payments::migrate
