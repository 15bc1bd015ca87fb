// The /v1/payments and /v1/balance handlers: parse the request, call the use
// case, render the answer. Thin by design. Every route is a merchant's
// (PublicApi::AddForMerchant): a handler runs only with the Merchant whose
// key authenticated. Thread-safe.
#pragma once

#include "api/public_api.h"
#include "service/payment_service.h"

namespace payments::api {

void RegisterPaymentRoutes(PublicApi& api, service::PaymentService& payments);

}  // namespace payments::api
