// The outbox: events are written in the same transaction as the state change
// they describe, so no event exists for a rolled-back change and no committed
// change lacks its event. Functions take the caller's connection (inside its
// transaction). Thread-compatible.
#pragma once

#include "core/error.h"
#include "db/connection.h"
#include "events/cloud_event.h"

namespace payments::store {

payments::Status InsertEvent(db::Connection& conn, const events::Event& event);

}  // namespace payments::store
