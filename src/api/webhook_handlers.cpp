#include "api/webhook_handlers.h"

#include <fmt/format.h>

#include "api/json_fields.h"
#include "api/requests.h"
#include "api/responses.h"
#include "api/webhook_requests.h"
#include "core/crypto.h"
#include "core/error.h"
#include "core/json_text.h"

namespace payments::api {
namespace {

using json = nlohmann::ordered_json;
using service::WebhookEndpoints;

template <typename T>
json Nullable(const std::optional<T>& v) {
  return JsonOrNull<json>(v);
}

json EndpointJson(const store::WebhookEndpointRow& e, const std::optional<std::string>& secret) {
  json out = {{"id", e.id},
              {"object", "webhook_endpoint"},
              {"url", e.url},
              {"description", e.description},
              {"enabled_events", e.enabled_events},
              {"status", e.status},
              {"disabled_reason", Nullable(e.disabled_reason)},
              {"created", e.created},
              {"updated", e.updated}};
  if (secret) out["secret"] = *secret;
  out["previous_secret_expires"] = Nullable(e.previous_secret_expires);
  out["circuit"] = {{"failure_streak", e.failure_streak},
                    {"open_until", Nullable(e.circuit_open_until)}};
  return out;
}

http::Response EndpointResponse(const payments::Result<service::WebhookEndpoint>& r) {
  if (!r) return FromError(r.error());
  http::Response res = Json(200, EndpointJson(r->row, r->secret));
  if (r->replayed) res.SetHeader("Idempotent-Replayed", "true");
  return res;
}

std::optional<int64_t> Seconds(const std::optional<int64_t>& ms) {
  return ms ? std::optional<int64_t>(*ms / 1000) : std::nullopt;
}

std::string Id(const http::Request& req) { return std::string(req.PathParam("id")); }

http::Response Create(WebhookEndpoints& endpoints, http::Request& req, const Merchant& m) {
  auto body = ParseRequestBody(req);
  if (!body) return FromError(body.error());
  std::optional<std::string> key;
  if (req.HasHeader("idempotency-key")) {
    key = std::string(req.Header("idempotency-key"));
    if (auto s = ValidateIdempotencyKey(*key); !s) return FromError(s.error());
  }
  auto input = ParseCreateWebhookEndpoint(*body);
  if (!input) return FromError(input.error());
  input->idempotency_key = std::move(key);
  input->request_hash = Sha256Hex(body->dump());  // sorted keys: a canonical form
  return EndpointResponse(endpoints.Create(m.id(), *input));
}

http::Response List(WebhookEndpoints& endpoints, http::Request& req, const Merchant& m) {
  auto params = ParseListParams(req.query);
  if (!params) return FromError(params.error());
  auto page = endpoints.List(m.id(), params->starting_after, params->limit);
  if (!page) return FromError(page.error());
  if (!*page) {
    return FromError(Error::Of(
        ErrorKind::kInvalidRequest, "resource_missing",
        fmt::format("No such webhook endpoint: '{}'", *params->starting_after), "starting_after"));
  }
  json data = json::array();
  for (const auto& e : (*page)->endpoints) data.push_back(EndpointJson(e, std::nullopt));
  return Json(200, ListObject("/v1/webhook_endpoints", std::move(data), (*page)->has_more));
}

http::Response Update(WebhookEndpoints& endpoints, http::Request& req, const Merchant& m) {
  auto body = ParseRequestBody(req);
  if (!body) return FromError(body.error());
  auto changes = ParseUpdateWebhookEndpoint(*body);
  if (!changes) return FromError(changes.error());
  return EndpointResponse(endpoints.Update(m.id(), Id(req), *changes));
}

http::Response Delete(WebhookEndpoints& endpoints, http::Request& req, const Merchant& m) {
  const std::string id = Id(req);
  if (auto s = endpoints.Delete(m.id(), id); !s) return FromError(s.error());
  return Json(200, json{{"id", id}, {"object", "webhook_endpoint"}, {"deleted", true}});
}

http::Response Rotate(WebhookEndpoints& endpoints, http::Request& req, const Merchant& m) {
  auto body = ParseRequestBody(req);
  if (!body) return FromError(body.error());
  if (auto s = OnlyKnownFields(*body, {}, ""); !s) return FromError(s.error());
  return EndpointResponse(endpoints.RotateSecret(m.id(), Id(req)));
}

http::Response Attempts(WebhookEndpoints& endpoints, http::Request& req, const Merchant& m) {
  auto params = ParseListParams(req.query);
  if (!params) return FromError(params.error());
  std::optional<int64_t> after;
  if (params->starting_after) {
    after = ParseAttemptId(*params->starting_after);
    if (!after) {
      return FromError(Error::Of(ErrorKind::kInvalidRequest, "resource_missing",
                                 fmt::format("No such attempt: '{}'", *params->starting_after),
                                 "starting_after"));
    }
  }
  const std::string id = Id(req);
  auto page = endpoints.Attempts(m.id(), id, after, params->limit);
  if (!page) return FromError(page.error());
  json data = json::array();
  for (const auto& a : page->attempts) {
    data.push_back({{"id", AttemptId(a.id)},
                    {"object", "webhook_attempt"},
                    {"endpoint", a.endpoint_id},
                    {"event", a.event_id},
                    {"attempted_at", a.attempted_at_ms / 1000},
                    {"status_code", Nullable(a.status_code)},
                    {"latency_ms", a.latency_ms},
                    {"error", Nullable(a.error)},
                    {"next_retry_at", Nullable(Seconds(a.next_retry_at_ms))}});
  }
  return Json(200, ListObject(fmt::format("/v1/webhook_endpoints/{}/attempts", id), std::move(data),
                              page->has_more));
}

http::Response Resend(WebhookEndpoints& endpoints, http::Request& req, const Merchant& m) {
  auto body = ParseRequestBody(req);
  if (!body) return FromError(body.error());
  auto endpoint = ParseResendEvent(*body);
  if (!endpoint) return FromError(endpoint.error());
  const std::string id = Id(req);
  auto made = endpoints.Resend(m.id(), id, *endpoint);
  if (!made) return FromError(made.error());
  return Json(200, json{{"object", "event_resend"}, {"event", id}, {"deliveries", *made}});
}

}  // namespace

void RegisterWebhookRoutes(PublicApi& api, WebhookEndpoints& endpoints) {
  auto route = [&](const char* method, const char* path,
                   http::Response (*fn)(WebhookEndpoints&, http::Request&, const Merchant&)) {
    api.AddForMerchant(method, path, [&endpoints, fn](http::Request& r, const Merchant& m) {
      return fn(endpoints, r, m);
    });
  };
  route("POST", "/v1/webhook_endpoints", Create);
  route("GET", "/v1/webhook_endpoints", List);
  route("GET", "/v1/webhook_endpoints/{id}",
        [](WebhookEndpoints& e, http::Request& r, const Merchant& m) {
          return EndpointResponse(e.Get(m.id(), Id(r)));
        });
  route("POST", "/v1/webhook_endpoints/{id}", Update);
  route("DELETE", "/v1/webhook_endpoints/{id}", Delete);
  route("POST", "/v1/webhook_endpoints/{id}/rotate_secret", Rotate);
  route("GET", "/v1/webhook_endpoints/{id}/attempts", Attempts);
  route("POST", "/v1/events/{id}/resend", Resend);
}

}  // namespace payments::api
