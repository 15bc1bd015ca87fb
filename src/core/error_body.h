// The JSON error object every 4xx/5xx of the service carries, in one place so
// the HTTP layer's own errors (413, 431, 400 on a malformed request) look like
// the API's:  {"error": {"type", "code", "message", "param"}}. Never throws:
// bytes that are not UTF-8 become U+FFFD; card numbers and secret keys in the
// message or param are masked (core/redact.h). Pure.
#pragma once

#include <string>
#include <string_view>

namespace payments {

std::string ErrorBody(std::string_view type, std::string_view code, std::string_view message,
                      std::string_view param = {});

}  // namespace payments
