#include "api/events_handlers.h"

#include <fmt/format.h>

#include <cassert>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ids.h"
#include "http/error_body.h"
#include "runtime/log.h"
#include "store/event_store.h"

namespace payments::api {
namespace {

constexpr int kDefaultLimit = 10;
constexpr int kMaxLimit = 100;

http::Response ErrorResponse(const http::Request& request, const Error& error) {
  if (error.kind == ErrorKind::kInternal || error.kind == ErrorKind::kUnavailable) {
    log::Error("events api: database error", {{"request_id", request.request_id},
                                              {"route", request.route},
                                              {"detail", error.detail},
                                              {"sqlstate", error.sqlstate}});
  }
  http::Response r;
  r.status = HttpStatus(error.kind);
  r.body = http::ErrorBody(ErrorType(error.kind), error.code, error.message, error.param);
  return r;
}

std::optional<int> HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

payments::Result<std::string> Decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      auto hi = i + 2 < s.size() ? HexDigit(s[i + 1]) : std::nullopt;
      auto lo = i + 2 < s.size() ? HexDigit(s[i + 2]) : std::nullopt;
      if (!hi || !lo) {
        return std::unexpected(Error::InvalidRequest("parameter_invalid_encoding",
                                                     "the query string has a malformed %-escape"));
      }
      out += static_cast<char>(*hi * 16 + *lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct ListParams {
  int limit = kDefaultLimit;
  std::optional<std::string> starting_after;
  std::optional<std::string> type;
  std::optional<std::string> type_prefix;
};

payments::Status ApplyParam(const std::string& name, const std::string& value, ListParams& out) {
  if (name == "limit") {
    int limit = 0;
    bool ok = !value.empty() && value.size() <= 3;
    for (char c : value) {
      ok = ok && c >= '0' && c <= '9';
      if (ok) limit = limit * 10 + (c - '0');
    }
    if (!ok || limit < 1 || limit > kMaxLimit) {
      return std::unexpected(Error::InvalidRequest(
          "parameter_invalid_integer",
          fmt::format("limit must be an integer between 1 and {}", kMaxLimit), "limit"));
    }
    out.limit = limit;
  } else if (name == "starting_after") {
    if (value.empty()) {
      return std::unexpected(Error::InvalidRequest("parameter_invalid_string_empty",
                                                   "starting_after must be an event id",
                                                   "starting_after"));
    }
    out.starting_after = value;
  } else if (name == "type") {
    // An exact type or a family: "payment.*".
    const bool family = value.size() > 2 && value.ends_with(".*");
    const std::string_view stem =
        family ? std::string_view(value).substr(0, value.size() - 1) : std::string_view(value);
    if (stem.empty() || stem.size() > 100 || stem.find('*') != std::string_view::npos) {
      return std::unexpected(Error::InvalidRequest(
          "parameter_invalid_string",
          "type must be an event type (payment.captured) or a family of them (payment.*)", "type"));
    }
    if (family) {
      out.type_prefix = std::string(stem);
    } else {
      out.type = value;
    }
  } else {
    return std::unexpected(Error::InvalidRequest("parameter_unknown",
                                                 fmt::format("unknown parameter: {}", name), name));
  }
  return {};
}

payments::Result<ListParams> ParseListParams(std::string_view query) {
  ListParams params;
  std::vector<std::string> seen;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    auto name = Decode(pair.substr(0, eq));
    if (!name) return std::unexpected(name.error());
    auto value = Decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value) return std::unexpected(value.error());
    if (std::find(seen.begin(), seen.end(), *name) != seen.end()) {
      return std::unexpected(Error::InvalidRequest(
          "parameter_duplicated", fmt::format("{} is given more than once", *name), *name));
    }
    seen.push_back(*name);
    if (auto s = ApplyParam(*name, *value, params); !s) return std::unexpected(s.error());
  }
  return params;
}

Error NoSuchEvent(const std::string& id) {
  return Error::NotFound(fmt::format("No such event: '{}'", id));
}

// An unknown cursor is a bad parameter (400), not a missing resource.
Error NoSuchCursor(const std::string& id) {
  return Error::Of(ErrorKind::kInvalidRequest, "resource_missing",
                   fmt::format("No such event: '{}'", id), "starting_after");
}

}  // namespace

http::Response ListEvents(const http::Request& request, db::Pool& pool) {
  assert(!request.merchant_id.empty() && "the auth middleware runs first");
  auto params = ParseListParams(request.query);
  if (!params) return ErrorResponse(request, params.error());
  if (params->starting_after && !IsWellFormedId(*params->starting_after, "evt")) {
    return ErrorResponse(request, NoSuchCursor(*params->starting_after));
  }
  auto conn = pool.Acquire();
  if (!conn) return ErrorResponse(request, conn.error());
  auto page = store::ListEvents(**conn, {.merchant_id = request.merchant_id,
                                         .type = params->type,
                                         .type_prefix = params->type_prefix,
                                         .starting_after = params->starting_after,
                                         .limit = params->limit});
  if (!page) return ErrorResponse(request, page.error());
  if (!*page) return ErrorResponse(request, NoSuchCursor(*params->starting_after));
  // The stored events are spliced in as they are: no parse, no re-encode.
  std::string body = R"({"object":"list","data":[)";
  for (size_t i = 0; i < (*page)->payloads.size(); ++i) {
    if (i > 0) body += ',';
    body += (*page)->payloads[i];
  }
  body += fmt::format(R"(],"has_more":{},"url":"/v1/events"}})", (*page)->has_more);
  http::Response r;
  r.body = std::move(body);
  return r;
}

http::Response GetEvent(const http::Request& request, db::Pool& pool) {
  assert(!request.merchant_id.empty() && "the auth middleware runs first");
  const std::string id(request.PathParam("id"));
  if (!IsWellFormedId(id, "evt")) return ErrorResponse(request, NoSuchEvent(id));
  auto conn = pool.Acquire();
  if (!conn) return ErrorResponse(request, conn.error());
  auto payload = store::FindEventPayload(**conn, request.merchant_id, id);
  if (!payload) return ErrorResponse(request, payload.error());
  if (!*payload) return ErrorResponse(request, NoSuchEvent(id));
  http::Response r;
  r.body = std::move(**payload);
  return r;
}

void RegisterEventRoutes(http::Router& router, db::Pool& pool) {
  router.Add("GET", "/v1/events", [&pool](http::Request& r) { return ListEvents(r, pool); });
  router.Add("GET", "/v1/events/{id}", [&pool](http::Request& r) { return GetEvent(r, pool); });
}

}  // namespace payments::api
