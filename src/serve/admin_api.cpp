#include "serve/admin_api.h"

#include <fmt/format.h>

#include "api/responses.h"
#include "core/error_body.h"
#include "http/json_body.h"

namespace payments::serve {

AdminApi::AdminApi(Health& health, telemetry::Metrics& metrics,
                   std::function<nlohmann::ordered_json()> version,
                   std::function<std::string()> liveness_problem)
    : health_(health),
      metrics_(metrics),
      version_(std::move(version)),
      liveness_problem_(std::move(liveness_problem)) {
  router_.Add("GET", "/livez", [this](http::Request&) { return Livez(); });
  router_.Add("GET", "/readyz", [this](http::Request& r) { return Readyz(r); });
  router_.Add("GET", "/metrics", [this](http::Request&) {
    http::Response r;
    r.body = metrics_.Render();
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return r;
  });
  router_.Add("GET", "/version", [this](http::Request&) {
    http::Response r;
    r.body = version_().dump();
    return r;
  });
}

http::Response AdminApi::Livez() {
  http::Response r;
  const std::string problem = liveness_problem_();
  if (problem.empty()) {
    r.body = R"({"status":"live"})";
  } else {
    r.status = 503;
    r.body = nlohmann::ordered_json({{"status", "stalled"}, {"reason", problem}}).dump();
  }
  return r;
}

http::Response AdminApi::Readyz(const http::Request& request) {
  const bool verbose = request.query == "verbose" || request.query.starts_with("verbose=") ||
                       request.query.find("&verbose") != std::string::npos;
  const bool ready = health_.Ready();
  nlohmann::ordered_json body = {{"status", ready ? "ready" : "not_ready"}};
  nlohmann::ordered_json failing = nlohmann::ordered_json::array();
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const Health::Check& c : health_.Checks()) {
    nlohmann::ordered_json item = {{"name", c.name}, {"ok", c.ok}};
    if (!c.detail.empty()) item["detail"] = c.detail;
    if (!c.ok) failing.push_back(item);
    all.push_back(std::move(item));
  }
  if (!ready) body["failing"] = failing;
  if (verbose) body["checks"] = all;
  http::Response r;
  r.status = ready ? 200 : 503;
  r.body = body.dump();
  return r;
}

http::Response AdminApi::Route(http::Request& req) {
  const http::Router::Match match = router_.Find(req.method, req.path);
  http::Response r;
  if (match.kind == http::Router::Match::Kind::kFound) {
    req.path_params = match.params;
    req.route = match.route;
    r = (*match.handler)(req);
  } else if (match.kind == http::Router::Match::Kind::kMethodNotAllowed) {
    r.status = 405;
    r.body = ErrorBody("invalid_request_error", "method_not_allowed",
                       fmt::format("{} is not allowed on {}.", req.method, req.path));
  } else {
    // The path was checked by the server (ASCII path characters only).
    r.status = 404;
    r.body = ErrorBody("invalid_request_error", "resource_missing",
                       fmt::format("Unrecognized request URL ({} {}).", req.method, req.path));
  }
  r.route = match.kind == http::Router::Match::Kind::kNotFound ? "unmatched" : match.route;
  return r;
}

http::Response AdminApi::Handle(http::Request& req) noexcept {
  try {
    return Route(req);
  } catch (const std::exception& e) {
    return api::InternalErrorResponse(req, e.what());
  } catch (...) {
    return api::InternalErrorResponse(req, "an exception that is not a std::exception");
  }
}

}  // namespace payments::serve
