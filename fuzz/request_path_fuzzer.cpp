// The whole public request path from bytes on the socket: Beast's parser and
// the server's checks of the head (http/request_parser.h), then routing,
// authentication and every endpoint's validation (api::PublicApi with the
// real payment and event routes), down to the use cases. The database behind
// them is a pool that cannot connect (it fails fast, as in an outage), the
// processor the sandbox, the authenticator a fake that knows one key.
//
// Checked beyond "does not crash": a refused request names its rule with a
// 4xx/501; an accepted one never gets a 500 (every failure a request can
// cause is a 4xx, the unreachable database a 503); every body is JSON of
// valid UTF-8; no card number the request sent comes back.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "api/events_handlers.h"
#include "api/payment_handlers.h"
#include "api/public_api.h"
#include "core/error_body.h"
#include "core/text.h"
#include "db/pool.h"
#include "fuzz_check.h"
#include "http/request_parser.h"
#include "processors/sandbox_processor.h"
#include "service/payment_service.h"
#include "telemetry/log.h"

namespace {

using namespace payments;
using namespace std::chrono_literals;

constexpr char kMerchant[] = "mer_fuzz0000000000000000000000";

struct World {
  db::Pool pool{{.connect = {.conninfo = "host=/nonexistent-payments-fuzz dbname=none"},
                 .size = 1,
                 .acquire_timeout = 0ms,
                 .backoff_initial = 24h,
                 .backoff_max = 24h}};
  processors::SandboxProcessor sandbox{processors::SandboxOptions{.timeout = 0ms}};
  service::PaymentService payments{
      pool, sandbox, {.group_commit = 1, .fingerprint_key = "fuzz-fingerprint-key"}};
  api::PublicApi api{[](const std::string& key) {
    return payments::Result<std::optional<std::string>>(
        key == "sk_fuzz_good" ? std::optional<std::string>(kMerchant) : std::nullopt);
  }};
  World() {
    log::SetLevel("error");
    api::RegisterPaymentRoutes(api, payments);
    api::RegisterEventRoutes(api, pool);
  }
};

World& TheWorld() {
  static World* world = new World();  // lives as long as the process
  return *world;
}

void CheckBody(const std::string& body, std::string_view input) {
  FUZZ_CHECK_MSG(IsValidUtf8(body), body);
  FUZZ_CHECK_MSG(nlohmann::json::accept(body), body);
  // A test card number in the input never comes back whole.
  for (const char* number : {"4242424242424242", "4000000000000002", "5555555555554444"}) {
    if (input.find(number) != std::string_view::npos) {
      FUZZ_CHECK_MSG(body.find(number) == std::string::npos, body);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  World& world = TheWorld();
  http::ParseResult parsed = http::ParseRequest(input, http::ServerOptions{});
  if (parsed.kind == http::ParseResult::Kind::kIncomplete) return 0;
  if (parsed.kind == http::ParseResult::Kind::kRefused) {
    const http::ProtocolError& e = parsed.refusal;
    FUZZ_CHECK((e.status >= 400 && e.status < 500) || e.status == 501);
    FUZZ_CHECK(!e.code.empty() && !e.message.empty());
    CheckBody(ErrorBody("invalid_request_error", e.code, e.message, e.param), input);
    return 0;
  }
  http::Request& request = parsed.request;
  FUZZ_CHECK(IsValidUtf8(request.path) && IsValidUtf8(request.query));
  const http::Response response = world.api.Handle(request);
  FUZZ_CHECK_MSG(response.status >= 200 && response.status < 600, response.body);
  FUZZ_CHECK_MSG(response.status != 500, response.error_detail);
  CheckBody(response.body, input);
  return 0;
}
