// The events API, always on whether Kafka is configured or not:
//   GET /v1/events?limit=&starting_after=&type=   newest first, cursor paginated
//   GET /v1/events/{id}
// Each item is the stored CloudEvent, byte for byte what the relay publishes.
// Merchant-scoped (PublicApi::AddForMerchant): the handlers run only with the
// authenticated Merchant; another merchant's event is a 404 like an unknown
// one. `type` filters by an exact type or a family ("payment.*").
//
//   api::RegisterEventRoutes(public_api, pool);
//
// Thread-safe: the handlers keep no state; the Pool must outlive the API.
#pragma once

#include "api/public_api.h"
#include "db/pool.h"
#include "http/message.h"

namespace payments::api {

void RegisterEventRoutes(PublicApi& api, db::Pool& pool);

}  // namespace payments::api
