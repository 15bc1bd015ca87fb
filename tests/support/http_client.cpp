#include "support/http_client.h"

namespace payments::testing {

nlohmann::json HttpResponse::Json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

Headers JsonHeaders(const std::string& key, const std::string& idempotency_key) {
  Headers h = {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}};
  if (!idempotency_key.empty()) h.emplace_back("Idempotency-Key", idempotency_key);
  return h;
}

}  // namespace payments::testing
