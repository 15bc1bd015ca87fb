// Parses and validates the bodies of the webhook endpoints API
// (docs/webhooks.md) into the use cases' inputs, as strictly as the rest of
// v1: unknown fields, wrong types, unknown event types, duplicates and
// over-long strings are 400 invalid_request_error naming the parameter. The
// URL's own checks (scheme, credentials, addresses) are the use case's.
// Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/error.h"
#include "service/webhook_endpoints.h"
#include "store/webhook_store.h"

namespace payments::api {

// {url, enabled_events, description?, disabled?}
payments::Result<service::CreateWebhookEndpointInput> ParseCreateWebhookEndpoint(
    const nlohmann::json& body);
// Any of {url, enabled_events, description, disabled}.
payments::Result<store::WebhookEndpointChanges> ParseUpdateWebhookEndpoint(
    const nlohmann::json& body);
// {} or {"endpoint": "we_…"}: the endpoint to resend to.
payments::Result<std::optional<std::string>> ParseResendEvent(const nlohmann::json& body);

// "whatt_<n>", an attempt's id as the API shows it, and back.
std::string AttemptId(int64_t id);
std::optional<int64_t> ParseAttemptId(std::string_view id);

}  // namespace payments::api
