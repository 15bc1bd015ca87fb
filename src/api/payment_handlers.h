// The /v1/payments and /v1/balance handlers: parse the request, call the use
// case, render the answer. Thin by design. The authenticated merchant is in
// Request::merchant_id (set by PublicApi). Thread-safe.
#pragma once

#include "http/router.h"
#include "service/payment_service.h"

namespace payments::api {

void RegisterPaymentRoutes(http::Router& router, service::PaymentService& payments);

}  // namespace payments::api
