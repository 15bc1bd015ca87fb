// The payment metrics of /metrics (payments_payments_total by outcome,
// payments_processor_calls_total by operation), written from a snapshot of
// PaymentService::Counters, as events/relay_metrics.h does for the relay.
// Pure; thread-safe.
#pragma once

#include <string_view>

#include "service/payment_service.h"
#include "service/reconciler.h"
#include "telemetry/metrics.h"

namespace payments::service {

void WritePaymentMetrics(const PaymentCounters& counters, std::string_view processor,
                         telemetry::MetricsWriter& w);
// payments_reconcile_*: whether this instance's reconciler is the active one,
// answers recorded, looks that found none, calls left for an operator.
void WriteReconcileMetrics(const ReconcileStats& stats, telemetry::MetricsWriter& w);

}  // namespace payments::service
