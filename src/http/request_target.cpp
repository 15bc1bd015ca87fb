#include "http/request_target.h"

#include <fmt/format.h>

#include "http/uri_chars.h"

namespace payments::http {
namespace {

// RFC 3986's query characters, and '[' and ']' besides: list filters are
// named created[gte] and created[lt], and merchants type them unencoded as
// they do at Stripe (the query parser decodes both forms to the same name).
bool IsQueryChar(char c) {
  return IsPathChar(c) || c == '/' || c == '?' || c == '%' || c == '[' || c == ']';
}

Error InvalidPath(std::string_view why) {
  return Error::InvalidRequest("invalid_path", fmt::format("The request path {}.", why));
}

}  // namespace

payments::Result<RequestTarget> ParseRequestTarget(std::string_view target) {
  if (target.size() > kMaxTargetLength) {
    return std::unexpected(InvalidPath(fmt::format("is longer than {} bytes", kMaxTargetLength)));
  }
  if (target.empty() || target.front() != '/') {
    return std::unexpected(InvalidPath("must start with '/'"));
  }
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);

  size_t start = 1;  // after a '/'
  while (path != "/") {
    const size_t slash = path.find('/', start);
    const std::string_view segment = path.substr(start, slash - start);
    if (segment.empty()) {
      return std::unexpected(InvalidPath("has an empty segment ('//' or a trailing '/')"));
    }
    if (segment == "." || segment == "..") {
      return std::unexpected(InvalidPath("has a '.' or '..' segment"));
    }
    for (char c : segment) {
      if (c == '%') return std::unexpected(InvalidPath("must not be percent-encoded"));
      if (!IsPathChar(c)) {
        return std::unexpected(InvalidPath("holds a character that is not allowed in a path"));
      }
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  for (char c : query) {
    if (!IsQueryChar(c)) {
      return std::unexpected(Error::InvalidRequest(
          "invalid_query", "The query string holds a character that must be percent-encoded."));
    }
  }
  return RequestTarget{std::string(path), std::string(query)};
}

}  // namespace payments::http
