// The relay's metrics in the Prometheus text format, with the names
// docs/operations/events.md documents, for `serve`'s /metrics collector:
//
//   metrics.AddCollector([&](telemetry::MetricsWriter& w) {
//     events::WriteRelayMetrics(relay->Metrics(), w);
//   });
//
// Pure; thread-safe.
#pragma once

#include "events/outbox_relay.h"
#include "telemetry/metrics.h"

namespace payments::events {

void WriteRelayMetrics(const RelayMetrics& m, telemetry::MetricsWriter& w);

}  // namespace payments::events
