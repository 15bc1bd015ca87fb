// The audit of operators' reconciliation actions (`payments reconcile
// resolve|retry`): who, when, which payment or refund, what outcome, why.
// Append-only. Thread-compatible: functions take the caller's connection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/connection.h"

namespace payments::store {

struct ReconcileAuditEntry {
  int64_t id = 0;
  std::string at;  // RFC 3339
  std::string actor;
  std::string action;      // "resolve", "retry"
  std::string subject_id;  // pay_… or re_…
  std::string outcome;     // "succeeded", "failed", "no_answer"
  std::string reason;
};

// As a batch item, to commit with the change it records.
db::BatchItem InsertReconcileAuditItem(const ReconcileAuditEntry& entry);
// Newest first.
payments::Result<std::vector<ReconcileAuditEntry>> ListReconcileAudit(db::Connection& conn,
                                                                      int limit);

}  // namespace payments::store
