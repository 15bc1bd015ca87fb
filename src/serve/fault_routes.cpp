#include "serve/fault_routes.h"

#include <fmt/format.h>

#include <charconv>
#include <thread>

#include "api/admin_auth.h"
#include "api/responses.h"
#include "http/json_body.h"

namespace payments::serve {
namespace {

payments::Result<std::chrono::milliseconds> StallFrom(std::string_view query) {
  auto params = http::ParseQuery(query);
  if (!params) return std::unexpected(params.error());
  std::chrono::milliseconds stall{1000};
  for (const auto& [name, value] : *params) {
    if (name != "ms") {
      return std::unexpected(Error::InvalidRequest(
          "parameter_unknown", fmt::format("Received unknown parameter: {}", name), name));
    }
    int64_t ms = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (ec != std::errc() || end != value.data() + value.size() || ms < 1 ||
        ms > kMaxStall.count()) {
      return std::unexpected(Error::InvalidRequest(
          "parameter_invalid_integer",
          fmt::format("ms must be an integer from 1 to {}.", kMaxStall.count()), "ms"));
    }
    stall = std::chrono::milliseconds(ms);
  }
  return stall;
}

}  // namespace

void RegisterFaultRoutes(http::Router& router, std::string admin_token,
                         std::function<http::Server*()> public_server, int io_threads) {
  router.Add("POST", "/admin/fault/stall-event-loop",
             api::RequireAdminToken(std::move(admin_token), [public_server,
                                                             io_threads](http::Request& req) {
               auto stall = StallFrom(req.query);
               if (!stall) return api::FromError(stall.error());
               http::Server* server = public_server();
               if (server == nullptr) {
                 return api::FromError(Error::Unavailable("The public listener is not running."));
               }
               // One stall per I/O thread (they take turns), so every loop stops.
               for (int i = 0; i < io_threads; ++i) {
                 server->RunOnLoop([ms = *stall] { std::this_thread::sleep_for(ms); });
               }
               return api::Json(202, {{"stalling_ms", stall->count()}});
             }));
}

}  // namespace payments::serve
