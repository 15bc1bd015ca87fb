// Fuzzes what a merchant or an endpoint sends the webhook code: the bodies of
// POST /v1/webhook_endpoints (create and update) and of
// POST /v1/events/{id}/resend (api/webhook_requests.h), the Retry-After an
// endpoint answers with (service/webhook_retry.h), and the operator's
// PAYMENTS_WEBHOOK_ALLOWED_NETWORKS (http/address_policy.h).
//
// Input: the bytes are given to each parser as they are.
// Checks, beyond not crashing:
//   - a parsed create has a URL of 1..2048 characters and 1..N enabled event
//     types, each known or "*" alone, none twice; a description of at most
//     500 characters;
//   - an update changes only what it names, with the same limits;
//   - every refusal is InvalidRequest naming a parameter (the top level, "",
//     only for a field whose name is empty);
//   - a Retry-After, when read, is never negative;
//   - every parsed network's prefix fits its family.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "api/webhook_requests.h"
#include "core/text.h"
#include "events/event_types.h"
#include "fuzz_check.h"
#include "http/address_policy.h"
#include "http/json_body.h"
#include "service/webhook_retry.h"

namespace {

void CheckRefusal(const payments::Error& e) {
  FUZZ_CHECK(e.kind == payments::ErrorKind::kInvalidRequest);
  FUZZ_CHECK(!e.code.empty());
  FUZZ_CHECK(!e.message.empty());
}

void CheckTypes(const std::vector<std::string>& types) {
  FUZZ_CHECK(!types.empty());
  FUZZ_CHECK(types.size() <= payments::events::kEventTypes.size());
  std::set<std::string> seen;
  for (const auto& t : types) {
    FUZZ_CHECK(t == "*" || payments::events::IsKnownEventType(t));
    FUZZ_CHECK(seen.insert(t).second);
  }
  FUZZ_CHECK(!seen.contains("*") || types.size() == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto body = payments::http::ParseJsonObject(text)) {
    if (auto create = payments::api::ParseCreateWebhookEndpoint(*body)) {
      FUZZ_CHECK(!create->url.empty());
      FUZZ_CHECK(payments::Utf8Length(create->url) <= 2048);
      FUZZ_CHECK(payments::Utf8Length(create->description) <= 500);
      CheckTypes(create->enabled_events);
    } else {
      CheckRefusal(create.error());
      FUZZ_CHECK(!create.error().param.empty() ||
                 create.error().message.find("empty name") != std::string::npos);
    }
    if (auto update = payments::api::ParseUpdateWebhookEndpoint(*body)) {
      FUZZ_CHECK(update->url.has_value() == body->contains("url"));
      FUZZ_CHECK(update->enabled.has_value() == body->contains("disabled"));
      if (update->enabled_events) CheckTypes(*update->enabled_events);
      if (update->description) FUZZ_CHECK(payments::Utf8Length(*update->description) <= 500);
    } else {
      CheckRefusal(update.error());
      FUZZ_CHECK(!update.error().param.empty() ||
                 update.error().message.find("empty name") != std::string::npos);
    }
    if (auto resend = payments::api::ParseResendEvent(*body)) {
      FUZZ_CHECK(resend->has_value() == body->contains("endpoint"));
    } else {
      CheckRefusal(resend.error());
    }
  }

  const auto now = std::chrono::system_clock::from_time_t(1800000000);
  if (auto wait = payments::service::ParseRetryAfter(text, now)) {
    FUZZ_CHECK(wait->count() >= 0);
  }

  if (auto networks = payments::http::ParseIpNetworks(text)) {
    for (const auto& n : *networks) {
      FUZZ_CHECK(n.prefix >= 0 && n.prefix <= (n.base.v6 ? 128 : 32));
    }
  } else {
    CheckRefusal(networks.error());
  }
  return 0;
}
