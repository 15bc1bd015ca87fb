#include "api/events_handlers.h"

#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

#include "api/requests.h"
#include "api/responses.h"
#include "core/error.h"
#include "core/ids.h"
#include "http/json_body.h"
#include "store/event_store.h"

namespace payments::api {
namespace {

struct EventListParams {
  ListParams list;  // limit and starting_after, as every list parses them
  std::optional<std::string> type;
  std::optional<std::string> type_prefix;  // "payment." for type=payment.*
};

payments::Status ParseType(const std::string& value, EventListParams& out) {
  // An exact type or a family: "payment.*".
  const bool family = value.size() > 2 && value.ends_with(".*");
  const std::string stem = family ? value.substr(0, value.size() - 1) : value;
  if (stem.empty() || stem.size() > 100 || stem.find('*') != std::string::npos) {
    return std::unexpected(Error::InvalidRequest(
        "parameter_invalid_string",
        "type must be an event type (payment.captured) or a family of them (payment.*).", "type"));
  }
  (family ? out.type_prefix : out.type) = stem;
  return {};
}

// Takes `type` out of the query and leaves the rest to the shared list
// parameters, so limits, cursors, unknown and repeated parameters get the
// same errors as every other list.
payments::Result<EventListParams> ParseEventListParams(std::string_view query) {
  EventListParams out;
  std::string rest;
  bool typed = false;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    auto decoded = http::ParseQuery(pair);
    if (!decoded) return std::unexpected(decoded.error());
    auto type = decoded->find("type");
    if (type == decoded->end()) {
      rest += (rest.empty() ? "" : "&") + std::string(pair);
      continue;
    }
    if (typed) {
      return std::unexpected(Error::InvalidRequest(
          "duplicate_parameter", "The query parameter 'type' is repeated.", "type"));
    }
    typed = true;
    if (auto s = ParseType(type->second, out); !s) return std::unexpected(s.error());
  }
  auto list = ParseListParams(rest);
  if (!list) return std::unexpected(list.error());
  out.list = std::move(*list);
  return out;
}

Error NoSuchEvent(const std::string& id) {
  return Error::NotFound(fmt::format("No such event: '{}'", id), "id");
}

// An unknown cursor is a bad parameter (400), as for payments.
Error NoSuchCursor(const std::string& id) {
  return Error::Of(ErrorKind::kInvalidRequest, "resource_missing",
                   fmt::format("No such event: '{}'", id), "starting_after");
}

http::Response ListEvents(const http::Request& request, const Merchant& merchant, db::Pool& pool) {
  auto params = ParseEventListParams(request.query);
  if (!params) return FromError(params.error());
  const std::optional<std::string>& cursor = params->list.starting_after;
  if (cursor && !IsWellFormedId(*cursor, "evt")) return FromError(NoSuchCursor(*cursor));
  auto conn = pool.Acquire();
  if (!conn) return FromError(conn.error());
  auto page = store::ListEvents(**conn, {.merchant_id = merchant.id(),
                                         .type = params->type,
                                         .type_prefix = params->type_prefix,
                                         .starting_after = cursor,
                                         .limit = params->list.limit});
  if (!page) return FromError(page.error());
  if (!*page) return FromError(NoSuchCursor(*cursor));
  // The stored events are spliced in as they are: no parse, no re-encode.
  std::string body = fmt::format(R"({{"object":"list","url":"/v1/events","has_more":{},"data":[)",
                                 (*page)->has_more);
  for (size_t i = 0; i < (*page)->payloads.size(); ++i) {
    if (i > 0) body += ',';
    body += (*page)->payloads[i];
  }
  body += "]}";
  http::Response r;
  r.body = std::move(body);
  return r;
}

http::Response GetEvent(const http::Request& request, const Merchant& merchant, db::Pool& pool) {
  const std::string id(request.PathParam("id"));
  if (!IsWellFormedId(id, "evt")) return FromError(NoSuchEvent(id));
  auto conn = pool.Acquire();
  if (!conn) return FromError(conn.error());
  auto payload = store::FindEventPayload(**conn, merchant.id(), id);
  if (!payload) return FromError(payload.error());
  if (!*payload) return FromError(NoSuchEvent(id));
  http::Response r;
  r.body = std::move(**payload);
  return r;
}

}  // namespace

void RegisterEventRoutes(PublicApi& api, db::Pool& pool) {
  api.AddForMerchant("GET", "/v1/events", [&pool](http::Request& r, const Merchant& m) {
    return ListEvents(r, m, pool);
  });
  api.AddForMerchant("GET", "/v1/events/{id}",
                     [&pool](http::Request& r, const Merchant& m) { return GetEvent(r, m, pool); });
}

}  // namespace payments::api
