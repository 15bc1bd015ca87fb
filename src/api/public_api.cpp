#include "api/public_api.h"

#include <fmt/format.h>

#include "api/responses.h"
#include "core/crypto.h"
#include "telemetry/log.h"

namespace payments::api {

PublicApi::PublicApi(Authenticator authenticate, RateLimits* limits)
    : authenticate_(std::move(authenticate)), limits_(limits) {
  // Only the API version: which build and schema run (and so which fixes it
  // lacks) is for the operator, on the admin listener's /version.
  AddPublic("GET", "/version", [](http::Request&) {
    return Json(200, nlohmann::ordered_json{{"api_version", "v1"}});
  });
}

void PublicApi::AddPublic(std::string method, std::string path_template, http::Handler handler) {
  router_.Add(std::move(method), std::move(path_template), std::move(handler));
}

void PublicApi::AddForMerchant(std::string method, std::string path_template,
                               MerchantHandler handler) {
  router_.Add(std::move(method), std::move(path_template),
              [this, handler = std::move(handler)](http::Request& req) {
                return ForMerchant(req, handler);
              });
}

http::Response PublicApi::ForMerchant(http::Request& req, const MerchantHandler& handler) {
  const auto now = std::chrono::steady_clock::now();
  std::string client;
  if (limits_) {
    client = limits_->Client(req);
    if (auto refused = limits_->RefuseFailedClient(client, now)) return std::move(*refused);
  }
  auto merchant = Authenticate(req);
  if (!merchant) {
    // A missing key costs nothing to refuse; a wrong one cost a lookup.
    if (limits_ && merchant.error().kind == ErrorKind::kAuthentication &&
        merchant.error().code != "missing_api_key") {
      limits_->CountFailure(client, now);
    }
    return FromError(merchant.error());
  }
  std::vector<std::pair<std::string, std::string>> rate_headers;
  if (limits_) {
    if (auto refused = limits_->TakeForKey(merchant->key_digest_, now, rate_headers)) {
      refused->merchant_id = merchant->id();
      return std::move(*refused);
    }
  }
  http::Response r = handler(req, *merchant);
  for (auto& [name, value] : rate_headers) r.SetHeader(std::move(name), std::move(value));
  r.merchant_id = merchant->id();
  return r;
}

payments::Result<Merchant> PublicApi::Authenticate(const http::Request& req) const {
  const std::string_view auth = req.Header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.empty()) {
    return std::unexpected(
        Error::Of(ErrorKind::kAuthentication, "missing_api_key",
                  "No API key provided. Send it as 'Authorization: Bearer sk_test_…'."));
  }
  const std::string key =
      auth.starts_with(kBearer) ? std::string(auth.substr(kBearer.size())) : std::string();
  auto merchant =
      key.empty() ? payments::Result<std::optional<std::string>>(std::nullopt) : authenticate_(key);
  if (!merchant) return std::unexpected(merchant.error());
  if (!*merchant || (*merchant)->empty()) {
    return std::unexpected(
        Error::Of(ErrorKind::kAuthentication, "invalid_api_key", "Invalid API key provided."));
  }
  return Merchant(std::move(**merchant), limits_ ? Sha256Hex(key) : std::string());
}

http::Response PublicApi::Route(http::Request& req) {
  const http::Router::Match match = router_.Find(req.method, req.path);
  req.route = match.route;
  if (match.kind == http::Router::Match::Kind::kNotFound) {
    // The path was checked by the server (ASCII path characters only).
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
  http::Response r = (*match.handler)(req);
  r.route = match.route;
  return r;
}

http::Response PublicApi::Handle(http::Request& req) noexcept {
  http::Response r;
  try {
    r = Route(req);
  } catch (const std::exception& e) {
    r = InternalErrorResponse(req, e.what());
  } catch (...) {
    r = InternalErrorResponse(req, "an exception that is not a std::exception");
  }
  // Payments, balances and errors are for this client alone, now: no
  // browser, proxy or CDN on the way may keep a copy.
  try {
    r.SetHeader("Cache-Control", "no-store");
  } catch (...) {  // std::bad_alloc: the answer goes without the header
  }
  return r;
}

}  // namespace payments::api
