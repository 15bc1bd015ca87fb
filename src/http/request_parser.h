// Reading one HTTP/1.1 request from bytes exactly as the server reads it off
// a socket (Beast's parser, then the server's own checks of the head: framing
// per RFC 9112, header count, the target, X-Request-Id), without a socket:
// for the fuzz target of the whole request path and for tests. The server
// uses the same checks (http/request_head.h), so what is refused here is
// refused there. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "http/message.h"
#include "http/server.h"

namespace payments::http {

// A request the server answers itself, before any handler, and then closes.
struct ProtocolError {
  ProtocolError(int s, std::string c, std::string m, std::string p = {})
      : status(s), code(std::move(c)), message(std::move(m)), param(std::move(p)) {}
  int status;
  std::string code;
  std::string message;  // names the rule broken, never the bytes
  std::string param;
};

struct ParseResult {
  enum class Kind { kRequest, kRefused, kIncomplete } kind = Kind::kIncomplete;
  Request request;                   // kRequest: as a handler gets it (no remote address)
  ProtocolError refusal{0, "", ""};  // kRefused
  size_t consumed = 0;               // bytes of the request (kRequest)
};

ParseResult ParseRequest(std::string_view bytes, const ServerOptions& limits);

}  // namespace payments::http
