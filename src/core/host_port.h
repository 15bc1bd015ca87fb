// Parses listen addresses: "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0" (port 0
// picks a free port). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace payments {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

payments::Result<HostPort> ParseHostPort(std::string_view text);

}  // namespace payments
