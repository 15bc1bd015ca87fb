#include "core/error_body.h"

#include <nlohmann/json.hpp>

namespace payments {

std::string ErrorBody(std::string_view type, std::string_view code, std::string_view message,
                      std::string_view param) {
  nlohmann::ordered_json error = {{"type", type}, {"code", code}, {"message", message}};
  error["param"] = param.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(param);
  // Replace, never throw: an error body is what a request gets when
  // something already went wrong, whatever bytes its message holds.
  return nlohmann::ordered_json({{"error", error}})
      .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace payments
