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
http::Response Json(int status, const nlohmann::ordered_json& body);
// {"object":"list","url":url,"has_more":…,"data":[…]}
nlohmann::ordered_json ListObject(std::string_view url, nlohmann::ordered_json data, bool has_more);

}  // namespace payments::api
