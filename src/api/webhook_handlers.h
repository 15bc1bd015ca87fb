// The webhook endpoints API (docs/webhooks.md), merchant-scoped:
//   POST   /v1/webhook_endpoints                     create (the secret, once)
//   GET    /v1/webhook_endpoints                     list, newest first
//   GET    /v1/webhook_endpoints/{id}
//   POST   /v1/webhook_endpoints/{id}                update
//   DELETE /v1/webhook_endpoints/{id}
//   POST   /v1/webhook_endpoints/{id}/rotate_secret  the new secret, once
//   GET    /v1/webhook_endpoints/{id}/attempts       newest first
//   POST   /v1/events/{id}/resend
// Another merchant's endpoint is a 404 like an unknown one.
//
//   api::RegisterWebhookRoutes(public_api, endpoints);
//
// Thread-safe: the handlers keep no state; `endpoints` must outlive the API.
#pragma once

#include "api/public_api.h"
#include "service/webhook_endpoints.h"

namespace payments::api {

void RegisterWebhookRoutes(PublicApi& api, service::WebhookEndpoints& endpoints);

}  // namespace payments::api
