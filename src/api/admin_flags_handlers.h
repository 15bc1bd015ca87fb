// The admin API for feature flags, mounted on the admin listener:
//
//   GET    /admin/flags          every declared and stored flag
//   GET    /admin/flags/{key}    one flag
//   PUT    /admin/flags/{key}    {"definition": {...}, "reason": "...", "actor": "..."}
//                                replaces the definition (flags/definition_json.h)
//   DELETE /admin/flags/{key}    {"reason": "...", "actor": "..."}
//
// Every route needs `Authorization: Bearer <PAYMENTS_ADMIN_TOKEN>` (401
// otherwise); with no token configured the routes answer 404, as if they did
// not exist. Errors are the API's typed JSON errors; an invalid definition is
// a 400 whose `param` names the field ("definition.percentage") and changes
// nothing. Flag objects are those of flags/flag_view.h.
//
// The handlers are thread-safe; the pool must outlive the router.
#pragma once

#include <string>

#include "db/pool.h"
#include "http/router.h"

namespace payments::api {

struct AdminFlagsOptions {
  std::string token;  // PAYMENTS_ADMIN_TOKEN; empty turns the admin flag API off (404)
};

void RegisterAdminFlagRoutes(http::Router& router, db::Pool& pool, AdminFlagsOptions options);

}  // namespace payments::api
