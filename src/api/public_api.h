// The public listener's request pipeline: route, authenticate (Bearer secret
// key) everything under /v1/, run the handler, answer unknown routes with a
// typed 404 and wrong methods with 405 + Allow. Routes are registered once at
// start-up; Handle is thread-safe.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>

#include "http/router.h"
#include "service/payment_service.h"

namespace payments::api {

class PublicApi {
 public:
  // version_info: the body of GET /version.
  PublicApi(service::PaymentService& payments,
            std::function<nlohmann::ordered_json()> version_info);
  PublicApi(const PublicApi&) = delete;
  PublicApi& operator=(const PublicApi&) = delete;

  // For routes from other modules (events). Call before serving.
  http::Router& router() { return router_; }

  http::Response Handle(http::Request& request);

 private:
  service::PaymentService& payments_;
  std::function<nlohmann::ordered_json()> version_info_;
  http::Router router_;
};

}  // namespace payments::api
