#include "core/error_body.h"

#include <nlohmann/json.hpp>

#include "core/redact.h"

namespace payments {

std::string ErrorBody(std::string_view type, std::string_view code, std::string_view message,
                      std::string_view param) {
  // Messages and params echo the caller's input (a path, an id, a metadata
  // key); a card number or key in it is masked on its way back.
  nlohmann::ordered_json error = {
      {"type", type}, {"code", code}, {"message", RedactForClient(std::string(message))}};
  error["param"] = param.empty() ? nlohmann::ordered_json(nullptr)
                                 : nlohmann::ordered_json(RedactForClient(std::string(param)));
  // Replace, never throw: an error body is what a request gets when
  // something already went wrong, whatever bytes its message holds.
  return nlohmann::ordered_json({{"error", error}})
      .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace payments
