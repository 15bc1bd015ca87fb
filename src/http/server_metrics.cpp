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
  w.Family("payments_http_accept_pauses_total", "counter",
           "Times the listener stopped accepting at its connection cap.");
  if (server != nullptr) {
    w.Sample("payments_http_accept_pauses_total", {{"listener", name}}, server->accept_pauses());
  }
  w.Family("payments_http_accept_errors_total", "counter",
           "Failed accepts (out of file descriptors or memory), each followed by a pause.");
  if (server != nullptr) {
    w.Sample("payments_http_accept_errors_total", {{"listener", name}}, server->accept_errors());
  }
  w.Family("payments_http_tls_handshake_failures_total", "counter",
           "TLS handshakes that failed or timed out (a TLS listener only).");
  if (server != nullptr && server->tls()) {
    w.Sample("payments_http_tls_handshake_failures_total", {{"listener", name}},
             server->tls_handshake_failures());
  }
}

void WriteTlsMetrics(const ServerTls* tls, telemetry::MetricsWriter& w) {
  w.Family("payments_tls_reloads_total", "counter",
           "Reloads of the TLS certificate and key (SIGHUP); on error the previous one stays.");
  if (tls != nullptr) {
    w.Sample("payments_tls_reloads_total", {{"result", "ok"}}, tls->reloads_ok());
    w.Sample("payments_tls_reloads_total", {{"result", "error"}}, tls->reloads_failed());
  }
}

}  // namespace payments::http
