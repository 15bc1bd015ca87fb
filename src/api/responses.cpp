#include "api/responses.h"

#include <algorithm>
#include <string>

#include "telemetry/log.h"

namespace payments::api {

http::Response FromReply(const service::Reply& reply) {
  http::Response r;
  r.status = reply.status;
  r.body = reply.body;
  if (reply.replayed) r.SetHeader("Idempotent-Replayed", "true");
  return r;
}

http::Response FromError(const Error& error) {
  http::Response r = FromReply(service::ErrorReply(error));
  if (error.kind == ErrorKind::kUnavailable) r.SetHeader("Retry-After", "1");
  if (error.kind == ErrorKind::kIdempotencyInProgress) r.SetHeader("Retry-After", "1");
  if (error.kind == ErrorKind::kRateLimited) {
    r.SetHeader("Retry-After", std::to_string(std::max<int64_t>(1, error.retry_after_seconds)));
  }
  r.error_detail = error.detail;
  return r;
}

http::Response Json(int status, const nlohmann::ordered_json& body) {
  http::Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return r;
}

http::Response InternalErrorResponse(const http::Request& request, std::string_view what) {
  log::Error("request failed", {{"request_id", request.request_id},
                                {"method", request.method},
                                {"route", request.route},
                                {"error", what}});
  http::Response r = FromError(Error::Internal("An internal error occurred."));
  r.error_detail = std::string(what);
  return r;
}

nlohmann::ordered_json ListObject(std::string_view url, nlohmann::ordered_json data,
                                  bool has_more) {
  return {{"object", "list"}, {"url", url}, {"has_more", has_more}, {"data", std::move(data)}};
}

}  // namespace payments::api
