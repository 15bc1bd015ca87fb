// What the admin API's handlers share in reading a request: the JSON body as
// an object with only known fields, and who makes a change when the body does
// not say (the caller's address). Pure; thread-safe.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.h"
#include "http/message.h"

namespace payments::api {

// The JSON body as an object (empty: {}) holding only `fields`, or a 400
// naming what is wrong.
payments::Result<nlohmann::json> AdminBodyObject(const http::Request& req,
                                                 std::initializer_list<std::string_view> fields);

// The body's string field `name`, "" when absent; 400 when not a string.
payments::Result<std::string> OptionalString(const nlohmann::json& body, const char* name);

// "admin-api (ADDRESS)": the actor of a change whose body names none.
std::string DefaultAdminActor(const http::Request& req);

}  // namespace payments::api
