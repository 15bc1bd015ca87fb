// The HTTP server's gauges on /metrics (payments_http_in_flight_requests,
// payments_http_open_connections, TLS handshake failures) and the TLS
// certificate's reloads, written by the module that owns the numbers, as
// events/relay_metrics.h does for the relay. Families are written even before
// the server runs (server null) or without TLS (tls null), without samples.
// Thread-safe (the server's counters are atomics).
#pragma once

#include <string_view>

#include "http/server.h"
#include "http/tls_context.h"
#include "telemetry/metrics.h"

namespace payments::http {

void WriteServerMetrics(const Server* server, std::string_view listener,
                        telemetry::MetricsWriter& w);

// payments_tls_reloads_total{result="ok|error"}.
void WriteTlsMetrics(const ServerTls* tls, telemetry::MetricsWriter& w);

}  // namespace payments::http
