// The access log and the request metrics of both listeners: one line per
// request (buffered, src/telemetry/log.h) and one observation of
// payments_http_requests_total and its latency histogram. Admin requests
// that succeed are counted but not logged: probes every second are noise.
// Thread-safe (Metrics and the log are).
#pragma once

#include <chrono>
#include <string>

#include "http/message.h"
#include "telemetry/metrics.h"

namespace payments::serve {

void AccessLog(const std::string& listener, telemetry::Metrics& metrics, const http::Request& req,
               const http::Response& res, std::chrono::nanoseconds elapsed);

}  // namespace payments::serve
