#include "api/admin_keys_handlers.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <memory>

#include "api/admin_auth.h"
#include "api/admin_requests.h"
#include "api/responses.h"
#include "http/json_body.h"

namespace payments::api {
namespace {

using OrderedJson = nlohmann::ordered_json;

OrderedJson OptionalJson(const std::optional<std::string>& value) {
  return value ? OrderedJson(*value) : OrderedJson(nullptr);
}

payments::Result<service::KeyChange> ChangeFrom(const nlohmann::json& body,
                                                const http::Request& req) {
  auto actor = OptionalString(body, "actor");
  if (!actor) return std::unexpected(actor.error());
  return service::KeyChange{.actor = actor->empty() ? DefaultAdminActor(req) : std::move(*actor)};
}

// "grace_period" (a duration with a unit) or "grace_period_seconds" (an
// integer), exactly one.
payments::Result<std::chrono::milliseconds> GraceFrom(const nlohmann::json& body) {
  const bool text = body.contains("grace_period");
  const bool seconds = body.contains("grace_period_seconds");
  if (text == seconds) {
    return std::unexpected(Error::InvalidRequest(
        "parameter_missing",
        "give exactly one of grace_period (\"24h\") and grace_period_seconds (86400)",
        "grace_period"));
  }
  if (text) {
    auto value = OptionalString(body, "grace_period");
    if (!value) return std::unexpected(value.error());
    return service::ParseGracePeriod(*value, "grace_period");
  }
  const auto& n = body["grace_period_seconds"];
  const auto max_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(service::kMaxGracePeriod).count();
  if (!n.is_number_integer() || n.get<int64_t>() < 0 || n.get<int64_t>() > max_seconds) {
    return std::unexpected(Error::InvalidRequest(
        "invalid_grace_period",
        fmt::format("grace_period_seconds must be an integer from 0 to {}", max_seconds),
        "grace_period_seconds"));
  }
  return std::chrono::milliseconds(n.get<int64_t>() * 1000);
}

struct Context {
  db::Pool& pool;
};

http::Response Create(Context& ctx, http::Request& req) {
  auto body = AdminBodyObject(req, {"mode", "actor"});
  if (!body) return FromError(body.error());
  auto mode_text = OptionalString(*body, "mode");
  if (!mode_text) return FromError(mode_text.error());
  auto mode = mode_text->empty() ? payments::Result<service::KeyMode>(service::KeyMode::kTest)
                                 : service::ParseKeyMode(*mode_text);
  if (!mode) return FromError(mode.error());
  auto change = ChangeFrom(*body, req);
  if (!change) return FromError(change.error());
  auto created =
      service::CreateKey(ctx.pool, std::string(req.PathParam("merchant")), *mode, *change);
  if (!created) return FromError(created.error());
  return api::Json(200, CreatedKeyJson(*created));
}

http::Response List(Context& ctx, http::Request& req) {
  const std::string merchant(req.PathParam("merchant"));
  auto keys = service::ListKeys(ctx.pool, merchant);
  if (!keys) return FromError(keys.error());
  OrderedJson data = OrderedJson::array();
  for (const auto& k : *keys) data.push_back(ApiKeyJson(k));
  return api::Json(200, ListObject(fmt::format("/admin/merchants/{}/keys", merchant), data, false));
}

http::Response Revoke(Context& ctx, http::Request& req) {
  auto body = AdminBodyObject(req, {"actor"});
  if (!body) return FromError(body.error());
  auto change = ChangeFrom(*body, req);
  if (!change) return FromError(change.error());
  auto revoked = service::RevokeKey(ctx.pool, std::string(req.PathParam("key")), *change);
  if (!revoked) return FromError(revoked.error());
  return api::Json(200, ApiKeyJson(*revoked));
}

http::Response Roll(Context& ctx, http::Request& req) {
  auto body = AdminBodyObject(req, {"grace_period", "grace_period_seconds", "actor"});
  if (!body) return FromError(body.error());
  auto grace = GraceFrom(*body);
  if (!grace) return FromError(grace.error());
  auto change = ChangeFrom(*body, req);
  if (!change) return FromError(change.error());
  auto rolled = service::RollKey(ctx.pool, std::string(req.PathParam("key")), *grace, *change);
  if (!rolled) return FromError(rolled.error());
  return api::Json(200, RolledKeyJson(*rolled));
}

http::Response Audit(Context& ctx, http::Request& req) {
  auto query = http::ParseQuery(req.query);
  if (!query) return FromError(query.error());
  std::string merchant;
  int limit = 100;
  for (const auto& [name, value] : *query) {
    if (name == "merchant") {
      merchant = value;
    } else if (name == "limit") {
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (ec != std::errc() || ptr != value.data() + value.size()) {
        return FromError(Error::InvalidRequest("parameter_invalid_integer",
                                               "limit must be an integer from 1 to 1000", "limit"));
      }
    } else {
      return FromError(Error::InvalidRequest(
          "parameter_unknown", fmt::format("Received unknown parameter: {}", name), name));
    }
  }
  auto records = service::KeyAudit(ctx.pool, merchant, limit);
  if (!records) return FromError(records.error());
  OrderedJson data = OrderedJson::array();
  for (const auto& r : *records) data.push_back(KeyAuditJson(r));
  return api::Json(200, ListObject("/admin/keys/audit", data, false));
}

}  // namespace

OrderedJson ApiKeyJson(const store::ApiKeyRow& key) {
  return OrderedJson{{"object", "api_key"},
                     {"id", key.id},
                     {"merchant", key.merchant_id},
                     {"prefix", key.key_prefix},
                     {"mode", key.mode},
                     {"created_at", key.created_at},
                     {"expires_at", OptionalJson(key.expires_at)},
                     {"revoked_at", OptionalJson(key.revoked_at)},
                     {"revoked_by", OptionalJson(key.revoked_by)}};
}

OrderedJson CreatedKeyJson(const service::CreatedKey& created) {
  OrderedJson out = ApiKeyJson(created.key);
  out["secret"] = created.secret;
  return out;
}

OrderedJson RolledKeyJson(const service::RolledKey& rolled) {
  return OrderedJson{{"object", "api_key_roll"},
                     {"rolled", ApiKeyJson(rolled.old_key)},
                     {"replacement", CreatedKeyJson(rolled.replacement)}};
}

OrderedJson KeyAuditJson(const store::ApiKeyAuditRecord& record) {
  return OrderedJson{{"object", "api_key_audit"},
                     {"id", record.id},
                     {"at", record.at},
                     {"actor", record.actor},
                     {"action", record.action},
                     {"key", record.key_id},
                     {"merchant", record.merchant_id},
                     {"prefix", record.key_prefix},
                     {"detail", OrderedJson::parse(record.detail, nullptr, false)}};
}

void RegisterAdminKeyRoutes(http::Router& router, db::Pool& pool, AdminKeysOptions options) {
  auto ctx = std::make_shared<Context>(Context{pool});
  auto add = [&](std::string method, std::string path, http::Handler h) {
    router.Add(std::move(method), std::move(path), RequireAdminToken(options.token, std::move(h)));
  };
  add("POST", "/admin/merchants/{merchant}/keys",
      [ctx](http::Request& r) { return Create(*ctx, r); });
  add("GET", "/admin/merchants/{merchant}/keys", [ctx](http::Request& r) { return List(*ctx, r); });
  add("POST", "/admin/keys/{key}/revoke", [ctx](http::Request& r) { return Revoke(*ctx, r); });
  add("POST", "/admin/keys/{key}/roll", [ctx](http::Request& r) { return Roll(*ctx, r); });
  add("GET", "/admin/keys/audit", [ctx](http::Request& r) { return Audit(*ctx, r); });
}

}  // namespace payments::api
