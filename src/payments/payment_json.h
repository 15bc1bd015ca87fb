// The API's JSON representation of payments, refunds and balances, shared by
// the HTTP handlers, the idempotency records and the events (whose `data` is
// the object as the API returns it). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "payments/payment.h"

namespace payments {

nlohmann::ordered_json PaymentToJson(const Payment& payment);
nlohmann::ordered_json RefundToJson(const Refund& refund);
// {"object":"balance","available":[{"currency":"usd","amount":1234}, ...]}
nlohmann::ordered_json BalanceToJson(const std::map<std::string, int64_t>& by_currency);

}  // namespace payments
