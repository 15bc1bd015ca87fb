// The events API, always on whether Kafka is configured or not:
//   GET /v1/events?limit=&starting_after=&type=   newest first, cursor paginated
//   GET /v1/events/{id}
// Each item is the stored CloudEvent, byte for byte what the relay publishes.
// Merchant-scoped: the handlers read Request::merchant_id, which the auth
// middleware sets before they run; another merchant's event is a 404 like an
// unknown one. `type` filters by an exact type or a family ("payment.*").
//
//   http::Router router;
//   api::RegisterEventRoutes(router, pool);
//
// Thread-safe: the handlers keep no state; the Pool must outlive the Router.
#pragma once

#include "db/pool.h"
#include "http/message.h"
#include "http/router.h"

namespace payments::api {

void RegisterEventRoutes(http::Router& router, db::Pool& pool);

http::Response ListEvents(const http::Request& request, db::Pool& pool);
http::Response GetEvent(const http::Request& request, db::Pool& pool);

}  // namespace payments::api
