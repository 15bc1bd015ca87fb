// The admin listener's routes: /livez, /readyz, /metrics, /version, and what
// other modules mount (the flags admin API). Kept off the public listener so
// that readiness can say "draining" while the public listener closes.
// Handle is thread-safe.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>

#include "http/router.h"
#include "serve/health.h"
#include "telemetry/metrics.h"

namespace payments::serve {

class AdminApi {
 public:
  AdminApi(Health& health, telemetry::Metrics& metrics,
           std::function<nlohmann::ordered_json()> version,
           std::function<std::string()> liveness_problem);
  AdminApi(const AdminApi&) = delete;
  AdminApi& operator=(const AdminApi&) = delete;

  http::Router& router() { return router_; }
  // Never throws: a failure inside a request is that request's 500.
  http::Response Handle(http::Request& request) noexcept;

 private:
  http::Response Route(http::Request& request);
  http::Response Livez();
  http::Response Readyz(const http::Request& request);

  Health& health_;
  telemetry::Metrics& metrics_;
  std::function<nlohmann::ordered_json()> version_;
  std::function<std::string()> liveness_problem_;  // "" when live
  http::Router router_;
};

}  // namespace payments::serve
