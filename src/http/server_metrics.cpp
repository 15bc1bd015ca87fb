#include "http/server_metrics.h"

#include <string>

namespace payments::http {

void WriteServerMetrics(const Server* server, std::string_view listener,
                        telemetry::MetricsWriter& w) {
  const std::string name(listener);
  w.Family("payments_http_in_flight_requests", "gauge", "Requests being handled now.");
  if (server != nullptr) {
    w.Sample("payments_http_in_flight_requests", {{"listener", name}}, server->in_flight());
  }
  w.Family("payments_http_open_connections", "gauge", "Open client connections.");
  if (server != nullptr) {
    w.Sample("payments_http_open_connections", {{"listener", name}}, server->open_connections());
  }
}

}  // namespace payments::http
