// The relay's metrics in the Prometheus text format, with the names
// docs/operations/events.md documents, for `serve`'s /metrics collector:
//
//   metrics.AddCollector([&](runtime::MetricsWriter& w) {
//     events::WriteRelayMetrics(relay->Metrics(), w);
//   });
//
// Pure; thread-safe.
#pragma once

#include "events/outbox_relay.h"
#include "runtime/metrics.h"

namespace payments::events {

void WriteRelayMetrics(const RelayMetrics& m, runtime::MetricsWriter& w);

}  // namespace payments::events
