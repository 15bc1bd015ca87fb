#include "http/router.h"

#include <algorithm>

namespace payments::http {
namespace {

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const size_t end = path.find('/', i);
    const size_t stop = end == std::string_view::npos ? path.size() : end;
    out.emplace_back(path.substr(i, stop - i));
    i = stop;
  }
  return out;
}

bool IsParam(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::Add(std::string method, std::string path_template, Handler handler) {
  Route r{std::move(method), path_template, Split(path_template), std::move(handler)};
  routes_.push_back(std::move(r));
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match result;
  // A trailing slash is a different resource; "/v1/payments/" does not match.
  if (path.size() > 1 && path.back() == '/') return result;
  const std::vector<std::string> parts = Split(path);
  for (const Route& route : routes_) {
    if (route.segments.size() != parts.size()) continue;
    std::map<std::string, std::string, std::less<>> params;
    bool ok = true;
    for (size_t i = 0; i < parts.size() && ok; ++i) {
      const std::string& seg = route.segments[i];
      if (IsParam(seg)) {
        params[seg.substr(1, seg.size() - 2)] = parts[i];
      } else {
        ok = seg == parts[i];
      }
    }
    if (!ok) continue;
    if (route.method != method) {
      if (std::find(result.allowed_methods.begin(), result.allowed_methods.end(), route.method) ==
          result.allowed_methods.end()) {
        result.allowed_methods.push_back(route.method);
      }
      result.kind = Match::Kind::kMethodNotAllowed;
      result.route = route.path_template;
      continue;
    }
    result.kind = Match::Kind::kFound;
    result.handler = &route.handler;
    result.route = route.path_template;
    result.params = std::move(params);
    result.allowed_methods.clear();
    return result;
  }
  return result;
}

}  // namespace payments::http
