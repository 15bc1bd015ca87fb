// The admin listener's authentication, bound to the route as the public
// API's is (api/public_api.h): a handler wrapped here runs only for
// `Authorization: Bearer <admin token>`, compared in constant time; 401 with
// WWW-Authenticate otherwise. With no token configured the route answers 404,
// as if it did not exist, so an instance without a token exposes nothing.
// Thread-safe.
#pragma once

#include <string>

#include "http/router.h"

namespace payments::api {

http::Handler RequireAdminToken(std::string token, http::Handler handler);

}  // namespace payments::api
