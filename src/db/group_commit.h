// Group commit in the service: write transactions of concurrent requests
// share one database transaction, one round trip and one WAL flush.
//
//   db::GroupCommitter writes(pool, {});
//   auto rows = writes.Run(std::move(items));  // as RunTransactionBatch(pool, items)
//
// Each caller's items (a unit) are all-or-nothing and get back the rows they
// would get from RunTransactionBatch — except for a merged statement (below),
// whose rows are all its units' together. A caller finding nobody queued
// leads when no batch is on its way, or when fewer than `max_in_flight` are
// and they carry fewer than `max_in_flight` units between them (with two
// slots: beside a lone request). A leader takes the units queued so far (up
// to `max_units`), sends BEGIN, their items and COMMIT in one pipeline, and
// hands every unit its rows. Callers that arrive otherwise queue and go together in the next one,
// so batches grow with the load and a lone request goes at once: no timer, no
// added latency. When a leader is done and units are waiting, the first of
// them leads next.
//
// Why the second slot only beside a lone request: at light load two requests
// that overlap should not wait for each other (C=2 lost 25 % with one slot),
// but under load a second transaction beside a batch splits the queue into
// two small batches, each paying its commit and flush; waiting for the batch
// on its way makes the next one bigger (C=8: 1.5 → 3.2 payments per effects
// transaction, +7–20 % payments per second;
// bench/history/2026-11-25e-completion-by-primary-key.md).
//
// Units whose statements are all mergeable (Statement::mergeable) and the
// same, in the same order — the same kind of request — go merged: one
// statement per statement for all their rows (db/merged_statement.h), so
// PostgreSQL starts one executor per table instead of one per request. A
// merged statement's result rows go to every unit it carried.
//
// The units of a batch must not depend on one another (each request writes
// its own rows). When the shared transaction fails with an error from the
// database, nothing of it committed, and every unit runs again on its own
// (RunTransactionBatch) so that only the one at fault fails — except a
// statement or lock timeout, which every unit gets (running them again
// would only load a slow database more). When the connection is lost during
// the round trip every unit gets the unknown-outcome error, as a lone
// transaction would.
//
// Why: PostgreSQL's cost per payment is dominated by what it does per round
// trip and per transaction (a wake-up, BEGIN, commit record, WAL flush), not
// per row; bench/history/2026-11-25b-group-commit.md has the measurements.
//
// Thread-safe. Run blocks its caller (a fiber parks: fibers/fiber.h); the
// Pool must outlive the committer.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "core/error.h"
#include "db/connection.h"
#include "db/pool.h"

namespace payments::db {

struct GroupCommitOptions {
  int max_units = 64;  // units per shared transaction; 1: each runs alone, at once
  // Shared transactions on their way at once; beyond the first, only while
  // those on their way carry fewer units than this (see above).
  int max_in_flight = 2;
  // Off for work whose loss in a database crash is harmless (the idempotency
  // claim); the next synchronous commit flushes it anyway.
  bool synchronous_commit = true;
};

struct GroupCommitStats {
  int64_t units = 0;    // units run
  int64_t batches = 0;  // shared transactions sent
  // Statements in them, BEGIN and COMMIT not counted: fewer than the units'
  // items when mergeable ones went merged.
  int64_t statements = 0;
  int64_t fallbacks = 0;  // shared transactions that failed and ran unit by unit
  int waiting = 0;        // units queued behind the transactions on their way now
};

class GroupCommitter {
 public:
  GroupCommitter(Pool& pool, GroupCommitOptions options);
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Runs items as one transaction, possibly sharing it with other callers'.
  // Returns their rows (without BEGIN's and COMMIT's).
  payments::Result<std::vector<Rows>> Run(std::vector<BatchItem> items);

  GroupCommitStats Stats() const;

 private:
  struct Unit;
  // Runs one batch, `own` first, with a slot held; then passes the slot to
  // the longest waiting unit or frees it. Takes `lock` held, returns it unlocked.
  void Lead(Unit& own, std::unique_lock<std::mutex>& lock);
  void RunBatch(std::vector<Unit*> batch);
  payments::Result<std::vector<Rows>> RunAlone(std::vector<BatchItem> items);

  Pool& pool_;
  const GroupCommitOptions options_;
  mutable std::mutex mu_;
  std::deque<Unit*> queue_;
  int in_flight_ = 0;        // batches on their way
  int units_in_flight_ = 0;  // the units they carry
  std::atomic<int64_t> units_{0};
  std::atomic<int64_t> batches_{0};
  std::atomic<int64_t> statements_{0};
  std::atomic<int64_t> fallbacks_{0};
};

}  // namespace payments::db
