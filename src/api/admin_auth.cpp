#include "api/admin_auth.h"

#include <fmt/format.h>

#include "api/responses.h"
#include "core/crypto.h"

namespace payments::api {
namespace {

http::Response Refuse(const Error& e) {
  http::Response r = FromError(e);
  if (e.kind == ErrorKind::kAuthentication) r.SetHeader("WWW-Authenticate", "Bearer");
  return r;
}

}  // namespace

http::Handler RequireAdminToken(std::string token, http::Handler handler) {
  return [token = std::move(token), handler = std::move(handler)](http::Request& req) {
    if (token.empty()) {
      return Refuse(
          Error::NotFound(fmt::format("Unrecognized request URL ({} {}).", req.method, req.path)));
    }
    const std::string_view auth = req.Header("authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.empty()) {
      return Refuse(Error::Of(ErrorKind::kAuthentication, "authentication_required",
                              "The admin API needs Authorization: Bearer <admin token>"));
    }
    if (!auth.starts_with(kBearer) || !ConstantTimeEquals(auth.substr(kBearer.size()), token)) {
      return Refuse(
          Error::Of(ErrorKind::kAuthentication, "invalid_admin_token", "Invalid admin token"));
    }
    return handler(req);
  };
}

}  // namespace payments::api
