// The request target, checked once before routing and authentication see it,
// so that a path can only route the way it reads. An origin-form target
// ("/v1/payments?limit=3") is accepted when its path is canonical:
//   - it starts with "/" and, but for "/" itself, has no empty segment
//     ("//v1/payments", "/v1//payments") and no trailing "/";
//   - no segment is "." or "..";
//   - it holds only RFC 3986 path characters (unreserved, sub-delims, ":",
//     "@"), and no percent-encoding at all: no route needs one, and an
//     encoded "/" or "." is how a path is made to route unlike it reads;
// and its query only query characters (percent-escapes are decoded, and
// their text checked, by whoever parses the query). Anything else is refused
// with 400 invalid_path or invalid_query; the message never echoes the bytes.
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace payments::http {

struct RequestTarget {
  std::string path;   // "/v1/payments"
  std::string query;  // "limit=3", without the "?"
};

inline constexpr size_t kMaxTargetLength = 8 * 1024;

payments::Result<RequestTarget> ParseRequestTarget(std::string_view target);

}  // namespace payments::http
