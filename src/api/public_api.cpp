#include "api/public_api.h"

#include <fmt/format.h>

#include "api/payment_handlers.h"
#include "api/responses.h"

namespace payments::api {

PublicApi::PublicApi(service::PaymentService& payments,
                     std::function<nlohmann::ordered_json()> version_info)
    : payments_(payments), version_info_(std::move(version_info)) {
  RegisterPaymentRoutes(router_, payments_);
  router_.Add("GET", "/version", [this](http::Request&) { return Json(200, version_info_()); });
}

http::Response PublicApi::Handle(http::Request& req) {
  const http::Router::Match match = router_.Find(req.method, req.path);
  req.route = match.route;
  if (match.kind == http::Router::Match::Kind::kNotFound) {
    http::Response r = FromError(
        Error::NotFound(fmt::format("Unrecognized request URL ({} {}).", req.method, req.path)));
    r.route = "unmatched";
    return r;
  }
  if (match.kind == http::Router::Match::Kind::kMethodNotAllowed) {
    std::string allow;
    for (const auto& m : match.allowed_methods) allow += (allow.empty() ? "" : ", ") + m;
    http::Response r = FromError(
        Error::Of(ErrorKind::kMethodNotAllowed, "method_not_allowed",
                  fmt::format("{} is not allowed on {}; use {}.", req.method, req.path, allow)));
    r.SetHeader("Allow", allow);
    r.route = match.route;
    return r;
  }
  req.path_params = match.params;
  if (req.path.starts_with("/v1/")) {
    const std::string_view auth = req.Header("authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.empty()) {
      http::Response r = FromError(
          Error::Of(ErrorKind::kAuthentication, "missing_api_key",
                    "No API key provided. Send it as 'Authorization: Bearer sk_test_…'."));
      r.route = match.route;
      return r;
    }
    const std::string key =
        auth.starts_with(kBearer) ? std::string(auth.substr(kBearer.size())) : std::string();
    auto merchant = key.empty() ? payments::Result<std::optional<std::string>>(std::nullopt)
                                : payments_.Authenticate(key);
    if (!merchant) {
      http::Response r = FromError(merchant.error());
      r.route = match.route;
      return r;
    }
    if (!*merchant) {
      http::Response r = FromError(
          Error::Of(ErrorKind::kAuthentication, "invalid_api_key", "Invalid API key provided."));
      r.route = match.route;
      return r;
    }
    req.merchant_id = **merchant;
  }
  http::Response r = (*match.handler)(req);
  r.route = match.route;
  r.merchant_id = req.merchant_id;
  return r;
}

}  // namespace payments::api
