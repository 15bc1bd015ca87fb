#include "serve/access_log.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/redact.h"
#include "telemetry/log.h"

namespace payments::serve {

void AccessLog(const std::string& listener, telemetry::Metrics& metrics, const http::Request& req,
               const http::Response& res, std::chrono::nanoseconds elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const std::string route = res.route.empty() ? "unmatched" : res.route;
  metrics.ObserveRequest(listener, req.method, route, res.status, seconds);
  if (listener == "admin" && res.status < 400) return;  // probes every second are noise
  nlohmann::ordered_json fields = {{"listener", listener},
                                   {"request_id", req.request_id},
                                   {"method", req.method},
                                   {"route", route},
                                   // The path is the client's text: a card
                                   // number in it, even inside an id, is masked.
                                   {"path", RedactForClient(req.path)},
                                   {"status", res.status},
                                   {"duration_ms", std::round(seconds * 1e6) / 1000.0}};
  if (!res.merchant_id.empty()) fields["merchant_id"] = res.merchant_id;
  if (!res.error_detail.empty()) fields["error"] = res.error_detail;
  if (res.Header("Connection") == "close") fields["connection"] = "close";
  log::Buffered(res.status >= 500 ? log::Level::kWarn : log::Level::kInfo, "request", fields);
}

}  // namespace payments::serve
