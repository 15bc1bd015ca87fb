// Turning use-case results into HTTP responses: replies, typed errors (with
// Retry-After on 503), JSON objects and Stripe-style lists. Thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"
#include "http/message.h"
#include "service/reply.h"

namespace payments::api {

http::Response FromReply(const service::Reply& reply);
http::Response FromError(const Error& error);
// Never throws: text that is not UTF-8 becomes U+FFFD (input is checked
// before it gets here; this is the last line, not the first).
http::Response Json(int status, const nlohmann::ordered_json& body);
// A 500 for a request that failed in a way no handler foresaw (an exception),
// logged at error level with the request id; the body says nothing more.
http::Response InternalErrorResponse(const http::Request& request, std::string_view what);
// {"object":"list","url":url,"has_more":…,"data":[…]}
nlohmann::ordered_json ListObject(std::string_view url, nlohmann::ordered_json data, bool has_more);

}  // namespace payments::api
