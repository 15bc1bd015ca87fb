// The public listener's request pipeline: route, authenticate, run the
// handler, answer unknown routes with a typed 404 and wrong methods with
// 405 + Allow.
//
// Whether a request needs an API key is a property of the route it matched,
// decided when the route is added, never of how its path reads: a route added
// with AddForMerchant runs its handler only with a Merchant, and a Merchant
// can only be made here, from a key that authenticated. So a handler that
// acts for a merchant cannot run without one, in any build. (The server has
// already refused paths that could route unlike they read:
// http/request_target.h.)
//
// Handle never throws and never lets a failure inside a request escape: an
// exception from a handler or a library is that request's 500, logged with
// its request id. Every answer carries `Cache-Control: no-store`.
//
// With RateLimits, a merchant route first refuses a client that sent too many
// invalid keys (before looking its key up), then takes a token from the key's
// bucket (api/rate_limits.h).
//
// Routes are added once at start-up; Handle is thread-safe.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/rate_limits.h"
#include "core/error.h"
#include "http/router.h"

namespace payments::api {

// A merchant whose API key authenticated this request.
class Merchant {
 public:
  const std::string& id() const { return id_; }

 private:
  friend class PublicApi;
  Merchant(std::string id, std::string key_digest)
      : id_(std::move(id)), key_digest_(std::move(key_digest)) {}
  std::string id_;
  std::string key_digest_;  // SHA-256 of the key: what its rate limit is kept under
};

using MerchantHandler = std::function<http::Response(http::Request&, const Merchant&)>;

// The merchant owning an active secret key; nullopt when there is none.
using Authenticator =
    std::function<payments::Result<std::optional<std::string>>(const std::string& secret_key)>;

class PublicApi {
 public:
  // Serves GET /version, which names the API version only. Without `limits`
  // no rate limit applies.
  explicit PublicApi(Authenticator authenticate, RateLimits* limits = nullptr);
  PublicApi(const PublicApi&) = delete;
  PublicApi& operator=(const PublicApi&) = delete;

  // A route anyone may call (GET /version).
  void AddPublic(std::string method, std::string path_template, http::Handler handler);
  // A route that needs `Authorization: Bearer <secret key>`: 401 without a
  // key that authenticates, and the handler never runs.
  void AddForMerchant(std::string method, std::string path_template, MerchantHandler handler);

  http::Response Handle(http::Request& request) noexcept;

  // The route table, read-only (routes are added only through the two above).
  const http::Router& router() const { return router_; }

 private:
  http::Response Route(http::Request& request);
  payments::Result<Merchant> Authenticate(const http::Request& request) const;

  http::Response ForMerchant(http::Request& request, const MerchantHandler& handler);

  Authenticator authenticate_;
  RateLimits* limits_;
  http::Router router_;
};

}  // namespace payments::api
