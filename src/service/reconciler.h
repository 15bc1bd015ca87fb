// Reconciliation: asks the processor what became of every call whose answer
// was not recorded (a timeout, a lost answer, a crash between the call and
// the commit, a database that failed the write) and records the answer it
// gives, with its ledger postings, events and the stored reply of the
// request that made the call, in one transaction (service/settlement.h).
//
// Each pending call is looked at first at the time its intent set (past the
// call's own deadline), then on a schedule (by default 2 s, 10 s, 1 min,
// 10 min, 1 h, then daily for 3 days); a call the processor still cannot
// answer for after the last look is left for an operator: it stays pending,
// is counted in payments_reconcile_exhausted and logged, and
// `payments reconcile list|retry|resolve` shows and settles it.
//
// One reconciler is active per database, chosen by a session advisory lock
// held on a connection of its own (like the outbox relay): when its process
// dies, another instance's takes over within a tick.
//
// Thread-safe: RunOnce from one thread (a PeriodicWorker); Stats from any.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/connection.h"
#include "db/pool.h"
#include "processors/processor.h"
#include "store/payment_store.h"

namespace payments::service {

struct ReconcileOptions {
  // Delays between looks, after the first; the call is left for an operator
  // after the last.
  std::vector<std::chrono::milliseconds> schedule = {
      std::chrono::seconds(2),  std::chrono::seconds(10), std::chrono::minutes(1),
      std::chrono::minutes(10), std::chrono::hours(1),    std::chrono::hours(24),
      std::chrono::hours(24),   std::chrono::hours(24)};
  int batch = 100;       // calls looked at per run
  std::string conninfo;  // the lock's own connection
};

// "2s,10s,1m,10m,1h,1d": each a positive duration (core/duration.h).
payments::Result<std::vector<std::chrono::milliseconds>> ParseReconcileSchedule(
    std::string_view text);

struct ReconcileStats {
  bool active = false;        // holds the lock
  int64_t settled = 0;        // answers recorded
  int64_t still_unknown = 0;  // looks that found no answer yet
  int64_t exhausted = 0;      // calls left for an operator
  int64_t errors = 0;
};

class Reconciler {
 public:
  Reconciler(db::Pool& pool, processors::Processor& processor, ReconcileOptions options);
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;
  ~Reconciler();

  // Takes the lock if free, then looks at what is due (standing by
  // otherwise). An error when the database failed; the next run retries.
  payments::Status RunOnce();
  // Releases the lock (at shutdown, so another instance takes over at once).
  void Release();
  ReconcileStats Stats() const;

  // Looks at one payment's pending call, or one pending refund, now, due or
  // not (`payments reconcile retry`). True when an answer was recorded.
  payments::Result<bool> LookAtPayment(const std::string& payment_id);
  payments::Result<bool> LookAtRefund(const std::string& refund_id);

 private:
  payments::Status RunDue();
  // Asks the processor and records its answer: true when one was recorded.
  // `scheduled`: a look of the schedule, which counts against it.
  payments::Result<bool> Look(const store::DuePayment& due, bool scheduled);
  payments::Result<bool> Look(const store::DueRefund& due, bool scheduled);
  void NoAnswer(std::string_view kind, const std::string& id, int attempts,
                std::optional<int64_t> next, const processors::ProcessorResult& answer);

  db::Pool& pool_;
  processors::Processor& processor_;
  const ReconcileOptions options_;
  std::unique_ptr<db::Connection> lock_conn_;  // holds the advisory lock while active
  mutable std::mutex mu_;
  ReconcileStats stats_;
};

// An operator's settlement of a pending call the processor cannot answer
// for (after checking the processor's dashboard, say): recorded exactly as
// an answer would be, with an audit row (who, why) in the same transaction.
struct OperatorResolution {
  std::string id;  // pay_… (its pending call) or re_… (a pending refund)
  bool succeeded = false;
  std::string reference;  // the processor's id; required for an authorization that succeeded
  std::string reason;     // 1–500 characters
  std::string actor;      // 1–200 characters
};
// The outcome recorded ("captured", "failed", "refunded", …); 404 when
// nothing of that id is pending.
payments::Result<std::string> ResolveByOperator(db::Pool& pool, const OperatorResolution& r);

}  // namespace payments::service
