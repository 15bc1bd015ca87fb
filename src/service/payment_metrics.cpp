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
}

}  // namespace payments::service
