#include "service/payment_metrics.h"

#include <string>

namespace payments::service {

void WritePaymentMetrics(const PaymentCounters& counters, std::string_view processor,
                         telemetry::MetricsWriter& w) {
  w.Family("payments_payments_total", "counter", "Payment operations by outcome.");
  for (const auto& [outcome, n] : counters.by_outcome) {
    w.Sample("payments_payments_total", {{"outcome", outcome}}, static_cast<double>(n));
  }
  w.Family("payments_processor_calls_total", "counter", "Calls made to the processor.");
  for (const auto& [operation, n] : counters.processor_calls) {
    w.Sample("payments_processor_calls_total",
             {{"processor", std::string(processor)}, {"operation", operation}},
             static_cast<double>(n));
  }
  w.Family("payments_card_testing_trips_total", "counter",
           "Times a merchant's authorizations were paused by the card-testing guard.");
  w.Sample("payments_card_testing_trips_total", {},
           static_cast<double>(counters.card_testing.trips));
  w.Family("payments_card_testing_refused_total", "counter",
           "Authorizations refused (429) while their merchant was paused.");
  w.Sample("payments_card_testing_refused_total", {},
           static_cast<double>(counters.card_testing.refused));
  w.Family("payments_card_testing_paused_merchants", "gauge",
           "Merchants whose authorizations are paused now.");
  w.Sample("payments_card_testing_paused_merchants", {},
           static_cast<double>(counters.card_testing.held_merchants));
}

void WriteReconcileMetrics(const ReconcileStats& stats, telemetry::MetricsWriter& w) {
  w.Family("payments_reconcile_active", "gauge",
           "1 while this instance's reconciler holds the lock (one per database).");
  w.Sample("payments_reconcile_active", {}, stats.active ? 1 : 0);
  w.Family("payments_reconcile_settled_total", "counter",
           "Answers of pending processor calls recorded by reconciliation.");
  w.Sample("payments_reconcile_settled_total", {}, static_cast<double>(stats.settled));
  w.Family("payments_reconcile_no_answer_total", "counter",
           "Looks at a pending call for which the processor had no answer yet.");
  w.Sample("payments_reconcile_no_answer_total", {}, static_cast<double>(stats.still_unknown));
  w.Family("payments_reconcile_exhausted_total", "counter",
           "Pending calls left for an operator after the last scheduled look.");
  w.Sample("payments_reconcile_exhausted_total", {}, static_cast<double>(stats.exhausted));
  w.Family("payments_reconcile_errors_total", "counter",
           "Reconciliation looks that failed (the database, usually); retried next run.");
  w.Sample("payments_reconcile_errors_total", {}, static_cast<double>(stats.errors));
}

}  // namespace payments::service
