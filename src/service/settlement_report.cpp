#include "service/settlement_report.h"

#include <map>
#include <utility>

#include "db/batch.h"
#include "store/payment_store.h"

namespace payments::service {

payments::Result<SettlementReport> BuildSettlementReport(db::Pool& pool,
                                                         processors::Processor& processor,
                                                         int64_t since_unix) {
  SettlementReport report;
  std::map<std::pair<std::string, std::string>, ReportTotal> totals;
  std::string after;
  for (;;) {
    auto page = db::Read(
        pool, [&](db::Connection& c) { return store::LedgerNetsSince(c, since_unix, after, 500); });
    if (!page) return std::unexpected(page.error());
    if (page->empty()) break;
    for (const store::LedgerPaymentNet& p : *page) {
      auto held = processor.Retrieve(p.processor_reference);
      if (!held) return std::unexpected(held.error());
      const int64_t processor_net = held->found ? held->amount_captured - held->amount_refunded : 0;
      ReportTotal& total = totals[{p.merchant_id, p.currency}];
      total.merchant_id = p.merchant_id;
      total.currency = p.currency;
      total.ledger_net += p.ledger_net;
      total.processor_net += processor_net;
      ++total.payments;
      ++report.checked;
      std::string problem;
      if (!held->found) {
        problem = "unknown_to_processor";
      } else if (!held->currency.empty() && held->currency != p.currency) {
        problem = "currency_differs";
      } else if (processor_net != p.ledger_net) {
        problem = "amounts_differ";
      }
      if (!problem.empty()) {
        report.differences.push_back({p.payment_id, p.merchant_id, p.currency,
                                      p.processor_reference, p.ledger_net, processor_net,
                                      std::move(problem)});
      }
    }
    after = page->back().payment_id;
  }
  for (auto& [key, total] : totals) report.totals.push_back(std::move(total));
  return report;
}

}  // namespace payments::service
