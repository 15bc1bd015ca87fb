// The day-end settlement report (`payments reconcile report`): for every
// payment changed since a time that the processor made something of, what
// the ledger says moved (captured less refunded) next to what the processor
// says it holds for that authorization, every difference listed, and totals
// per merchant and currency — how a finance team checks a PSP's settlement.
//
// Reads only; asks the processor once per payment (Processor::Retrieve).
// Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "db/pool.h"
#include "processors/processor.h"

namespace payments::service {

struct ReportDifference {
  std::string payment_id;
  std::string merchant_id;
  std::string currency;
  std::string processor_reference;
  int64_t ledger_net = 0;
  int64_t processor_net = 0;
  std::string problem;  // "amounts_differ", "unknown_to_processor", "currency_differs"
};

struct ReportTotal {
  std::string merchant_id;
  std::string currency;
  int64_t ledger_net = 0;
  int64_t processor_net = 0;
  int64_t payments = 0;
};

struct SettlementReport {
  int64_t checked = 0;
  std::vector<ReportDifference> differences;
  std::vector<ReportTotal> totals;  // by merchant, then currency
};

// An error when the database or the processor cannot be read (a report that
// skipped payments would hide differences).
payments::Result<SettlementReport> BuildSettlementReport(db::Pool& pool,
                                                         processors::Processor& processor,
                                                         int64_t since_unix);

}  // namespace payments::service
