#include "api/webhook_requests.h"

#include <fmt/format.h>

#include <charconv>
#include <set>

#include "api/json_fields.h"
#include "events/event_types.h"

namespace payments::api {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxUrlLength = 2048;
constexpr size_t kMaxDescription = 500;
constexpr std::string_view kAttemptPrefix = "whatt_";

// The URL with its %XX escapes decoded, so that a card number cannot hide
// behind them ("4242%204242…"); malformed escapes are left as they are (the
// URL parser refuses them).
std::string PercentDecoded(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

payments::Result<std::string> ParseUrl(const json& value) {
  auto url = String(value, "url", kMaxUrlLength);
  if (!url) return url;
  if (url->empty()) {
    return std::unexpected(Invalid("url_invalid", "url must not be empty.", "url"));
  }
  for (const std::string& form : {*url, PercentDecoded(*url)}) {
    if (auto c = NoCardNumber(form, "url", "url"); !c) return std::unexpected(c.error());
  }
  return url;
}

payments::Result<std::vector<std::string>> ParseEnabledEvents(const json& value) {
  const std::string param = "enabled_events";
  if (!value.is_array() || value.empty() || value.size() > events::kEventTypes.size() + 1) {
    return std::unexpected(Invalid(
        "parameter_invalid_array",
        fmt::format("enabled_events must be a list of 1 to {} event types, or [\"*\"] for all.",
                    events::kEventTypes.size()),
        param));
  }
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string p = fmt::format("enabled_events[{}]", i);
    auto type = String(value[i], p, 100);
    if (!type) return std::unexpected(type.error());
    if (*type != "*" && !events::IsKnownEventType(*type)) {
      return std::unexpected(Invalid(
          "parameter_invalid_event_type",
          fmt::format("{} is not an event type this service sends (see docs/webhooks.md).", p), p));
    }
    if (!seen.insert(*type).second) {
      return std::unexpected(
          Invalid("parameter_duplicate", fmt::format("{} is listed twice.", p), p));
    }
    out.push_back(std::move(*type));
  }
  if (seen.contains("*") && out.size() > 1) {
    return std::unexpected(Invalid("parameter_invalid_array",
                                   "enabled_events: \"*\" already means every type; list it alone.",
                                   param));
  }
  return out;
}

payments::Result<std::string> ParseDescription(const json& value) {
  auto d = String(value, "description", kMaxDescription);
  if (!d) return d;
  if (auto c = NoCardNumber(*d, "description", "description"); !c) {
    return std::unexpected(c.error());
  }
  return d;
}

payments::Result<bool> ParseDisabled(const json& value) {
  if (!value.is_boolean()) {
    return std::unexpected(
        Invalid("parameter_invalid_boolean", "disabled must be true or false.", "disabled"));
  }
  return value.get<bool>();
}

}  // namespace

payments::Result<service::CreateWebhookEndpointInput> ParseCreateWebhookEndpoint(const json& body) {
  if (auto s = OnlyKnownFields(body, {"url", "enabled_events", "description", "disabled"}, "");
      !s) {
    return std::unexpected(s.error());
  }
  service::CreateWebhookEndpointInput in;
  const json* url = Field(body, "url");
  if (url == nullptr) return std::unexpected(Missing("url"));
  auto u = ParseUrl(*url);
  if (!u) return std::unexpected(u.error());
  in.url = std::move(*u);
  const json* types = Field(body, "enabled_events");
  if (types == nullptr) return std::unexpected(Missing("enabled_events"));
  auto t = ParseEnabledEvents(*types);
  if (!t) return std::unexpected(t.error());
  in.enabled_events = std::move(*t);
  if (const json* d = Field(body, "description")) {
    auto v = ParseDescription(*d);
    if (!v) return std::unexpected(v.error());
    in.description = std::move(*v);
  }
  if (const json* d = Field(body, "disabled")) {
    auto v = ParseDisabled(*d);
    if (!v) return std::unexpected(v.error());
    in.disabled = *v;
  }
  return in;
}

payments::Result<store::WebhookEndpointChanges> ParseUpdateWebhookEndpoint(const json& body) {
  if (auto s = OnlyKnownFields(body, {"url", "enabled_events", "description", "disabled"}, "");
      !s) {
    return std::unexpected(s.error());
  }
  store::WebhookEndpointChanges out;
  if (const json* v = Field(body, "url")) {
    auto u = ParseUrl(*v);
    if (!u) return std::unexpected(u.error());
    out.url = std::move(*u);
  }
  if (const json* v = Field(body, "enabled_events")) {
    auto t = ParseEnabledEvents(*v);
    if (!t) return std::unexpected(t.error());
    out.enabled_events = std::move(*t);
  }
  if (const json* v = Field(body, "description")) {
    auto d = ParseDescription(*v);
    if (!d) return std::unexpected(d.error());
    out.description = std::move(*d);
  }
  if (const json* v = Field(body, "disabled")) {
    auto d = ParseDisabled(*v);
    if (!d) return std::unexpected(d.error());
    out.enabled = !*d;
  }
  return out;
}

payments::Result<std::optional<std::string>> ParseResendEvent(const json& body) {
  if (auto s = OnlyKnownFields(body, {"endpoint"}, ""); !s) return std::unexpected(s.error());
  const json* v = Field(body, "endpoint");
  if (v == nullptr) return std::optional<std::string>();
  auto id = String(*v, "endpoint", 64);
  if (!id) return std::unexpected(id.error());
  return std::optional<std::string>(std::move(*id));
}

std::string AttemptId(int64_t id) { return fmt::format("{}{}", kAttemptPrefix, id); }

std::optional<int64_t> ParseAttemptId(std::string_view id) {
  if (!id.starts_with(kAttemptPrefix)) return std::nullopt;
  id.remove_prefix(kAttemptPrefix.size());
  int64_t n = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  if (ec != std::errc() || end != id.data() + id.size() || n <= 0) return std::nullopt;
  return n;
}

}  // namespace payments::api
