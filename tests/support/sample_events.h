// Events as the service builds them (a payment or a refund as the API
// returns it, in its CloudEvents envelope), for tests that need realistic
// events before the service writes them; and validation of any serialized
// event against the repository's schemas/events. Thread-compatible.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/connection.h"
#include "events/cloud_event.h"
#include "payments/payment.h"

namespace payments::testing {

// An event of `type` about `payment_id`, whose data has the status that type
// implies (payment.refunded: partially_refunded; refund.created: a refund),
// or `status` when given.
events::Event SampleEvent(
    std::string_view type, const std::string& merchant_id, const std::string& payment_id,
    std::chrono::system_clock::time_point at = std::chrono::system_clock::now(),
    std::optional<PaymentStatus> status = std::nullopt);

// What is wrong with a serialized event against schemas/events (empty when
// it is valid). Loads the schemas once per process.
std::vector<std::string> SchemaViolations(const std::string& payload);

// Inserts a merchant row (the outbox references merchants).
void InsertMerchant(db::Connection& conn, const std::string& merchant_id);

}  // namespace payments::testing
