#include "api/admin_requests.h"

#include <fmt/format.h>

#include <algorithm>

#include "http/json_body.h"

namespace payments::api {

payments::Result<nlohmann::json> AdminBodyObject(const http::Request& req,
                                                 std::initializer_list<std::string_view> fields) {
  auto body = http::ParseJsonObject(req.body);
  if (!body) return body;
  for (const auto& [name, value] : body->items()) {
    if (std::find(fields.begin(), fields.end(), name) == fields.end()) {
      return std::unexpected(Error::InvalidRequest(
          "parameter_unknown", fmt::format("Received unknown parameter: {}", name), name));
    }
  }
  return body;
}

payments::Result<std::string> OptionalString(const nlohmann::json& body, const char* name) {
  if (!body.contains(name)) return std::string();
  if (!body[name].is_string()) {
    return std::unexpected(Error::InvalidRequest("parameter_invalid_string",
                                                 fmt::format("{} must be a string", name), name));
  }
  return body[name].get<std::string>();
}

std::string DefaultAdminActor(const http::Request& req) {
  return req.remote_address.empty() ? "admin-api"
                                    : fmt::format("admin-api ({})", req.remote_address);
}

}  // namespace payments::api
