#include "api/admin_flags_handlers.h"

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "api/admin_auth.h"
#include "api/admin_requests.h"
#include "api/responses.h"
#include "flags/definition_edit.h"
#include "flags/flag_view.h"
#include "http/json_body.h"
#include "service/flag_service.h"
#include "store/flag_store.h"

namespace payments::api {
namespace {

using OrderedJson = nlohmann::ordered_json;

struct Context {
  db::Pool& pool;
};

payments::Result<store::FlagChange> ChangeFrom(const nlohmann::json& body,
                                               const http::Request& req) {
  store::FlagChange change;
  for (auto [field, target] :
       {std::pair<const char*, std::string*>{"reason", &change.reason}, {"actor", &change.actor}}) {
    auto value = OptionalString(body, field);
    if (!value) return std::unexpected(value.error());
    *target = std::move(*value);
  }
  if (change.actor.empty()) change.actor = DefaultAdminActor(req);
  return change;
}

http::Response List(Context& ctx, http::Request&) {
  auto conn = ctx.pool.Acquire();
  if (!conn) return FromError(conn.error());
  auto stored = store::ListFlags(**conn);
  if (!stored) return FromError(stored.error());
  OrderedJson data = OrderedJson::array();
  for (const auto& view : flags::MergeFlags(*stored)) data.push_back(flags::ToJson(view));
  return api::Json(200, ListObject("/admin/flags", std::move(data), false));
}

http::Response Get(Context& ctx, http::Request& req) {
  const std::string key(req.PathParam("key"));
  auto conn = ctx.pool.Acquire();
  if (!conn) return FromError(conn.error());
  auto stored = store::FindFlag(**conn, key);
  if (!stored) return FromError(stored.error());
  flags::FlagView view = flags::ViewOf(key, *stored);
  if (!view.stored && view.declared == nullptr) {
    return FromError(Error::NotFound(fmt::format("No such flag: '{}'", key), "key"));
  }
  return api::Json(200, flags::ToJson(view));
}

http::Response Put(Context& ctx, http::Request& req) {
  const std::string key(req.PathParam("key"));
  auto body = AdminBodyObject(req, {"definition", "reason", "actor", "allow_unknown"});
  if (!body) return FromError(body.error());
  if (!body->contains("definition")) {
    return FromError(Error::InvalidRequest(
        "parameter_missing", "definition is required: the flag's whole definition", "definition"));
  }
  flags::DefinitionEdit edit;
  edit.json = (*body)["definition"].dump();
  if (body->contains("allow_unknown")) {
    if (!(*body)["allow_unknown"].is_boolean()) {
      return FromError(Error::InvalidRequest("parameter_invalid_boolean",
                                             "allow_unknown must be a boolean", "allow_unknown"));
    }
    edit.allow_unknown = (*body)["allow_unknown"].get<bool>();
  }
  auto change = ChangeFrom(*body, req);
  if (!change) return FromError(change.error());
  auto put = service::SetFlag(ctx.pool, key, edit, *change, "definition");
  if (!put) return FromError(put.error());
  return api::Json(200, flags::ToJson(flags::ViewOf(key, put->flag)));
}

http::Response Delete(Context& ctx, http::Request& req) {
  const std::string key(req.PathParam("key"));
  auto body = AdminBodyObject(req, {"reason", "actor"});
  if (!body) return FromError(body.error());
  auto change = ChangeFrom(*body, req);
  if (!change) return FromError(change.error());
  auto deleted = service::DeleteFlag(ctx.pool, key, *change);
  if (!deleted) return FromError(deleted.error());
  OrderedJson out = flags::ToJson(flags::ViewOf(key, std::nullopt));
  out["deleted"] = true;
  out["previous"] = flags::ToJson(flags::ViewOf(key, *deleted));
  return api::Json(200, out);
}

}  // namespace

void RegisterAdminFlagRoutes(http::Router& router, db::Pool& pool, AdminFlagsOptions options) {
  auto ctx = std::make_shared<Context>(Context{pool});
  auto add = [&](std::string method, std::string path, http::Handler h) {
    router.Add(std::move(method), std::move(path), RequireAdminToken(options.token, std::move(h)));
  };
  add("GET", "/admin/flags", [ctx](http::Request& r) { return List(*ctx, r); });
  add("GET", "/admin/flags/{key}", [ctx](http::Request& r) { return Get(*ctx, r); });
  add("PUT", "/admin/flags/{key}", [ctx](http::Request& r) { return Put(*ctx, r); });
  add("DELETE", "/admin/flags/{key}", [ctx](http::Request& r) { return Delete(*ctx, r); });
}

}  // namespace payments::api
