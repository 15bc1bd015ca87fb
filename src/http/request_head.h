// The server's checks of a request head once Beast has parsed it, and the
// Request a handler gets from it; shared by http/server.cpp and
// http/request_parser.cpp. Internal to http/ (it names Beast's types).
// Pure; thread-safe.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>

#include "http/message.h"
#include "http/request_parser.h"
#include "http/request_target.h"
#include "http/server.h"

namespace payments::http {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;

// What the server refuses once the head is read, before any body: framing
// that a proxy in front could read differently (RFC 9112 §6), a target that
// could route unlike it reads, more headers than allowed, a request id that
// could not be logged as sent. On success, target holds the checked target.
std::optional<ProtocolError> CheckHead(const BeastRequest& req, const ServerOptions& limits,
                                       RequestTarget& target);

// The request as handlers see it, from a head CheckHead accepted: the path
// and query are the checked target's; the request id is the client's
// (checked) or a new one. Connection fields are left to the caller.
void FillRequest(const BeastRequest& req, const RequestTarget& target, Request& out);

}  // namespace payments::http
