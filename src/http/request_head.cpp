#include "http/request_head.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <charconv>
#include <string>
#include <vector>

#include "core/ids.h"

namespace payments::http {
namespace {

namespace bhttp = boost::beast::http;

// RFC 9112 §6: the body's length must be read the same way by every hop.
// Transfer-Encoding must end in `chunked` (anything else would leave the
// body's end to the connection's close, and a server reading it as empty
// answers the body as a second request: smuggling); `chunked` is the only
// coding served (501 for any other); and Transfer-Encoding with
// Content-Length, or disagreeing Content-Lengths, are refused outright.
std::optional<ProtocolError> CheckFraming(const BeastRequest& req, size_t body_limit) {
  std::vector<std::string> codings;
  size_t te_fields = 0;
  for (const auto& field : req) {
    if (field.name() != bhttp::field::transfer_encoding) continue;
    ++te_fields;
    std::string_view list = field.value();
    while (true) {
      const size_t comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      std::string lower(item);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      codings.push_back(std::move(lower));
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  size_t lengths = 0;
  std::string_view first_length;
  for (const auto& field : req) {
    if (field.name() != bhttp::field::content_length) continue;
    if (lengths++ == 0) {
      first_length = field.value();
    } else if (field.value() != first_length) {
      return ProtocolError{400, "malformed_http", "conflicting Content-Length fields"};
    }
  }
  if (te_fields > 0) {
    if (req.version() < 11) {
      return ProtocolError{400, "malformed_http", "Transfer-Encoding in an HTTP/1.0 request"};
    }
    if (lengths > 0) {
      return ProtocolError{400, "malformed_http",
                           "Transfer-Encoding and Content-Length in one request"};
    }
    if (codings.empty() || codings.back() != "chunked") {
      return ProtocolError{400, "malformed_http", "the final transfer coding must be chunked"};
    }
    if (codings.size() > 1) {
      return ProtocolError{501, "unsupported_transfer_coding",
                           "only the chunked transfer coding is supported"};
    }
  }
  if (lengths > 0) {
    uint64_t length = 0;
    const auto [end, ec] =
        std::from_chars(first_length.data(), first_length.data() + first_length.size(), length);
    if (ec != std::errc() || end != first_length.data() + first_length.size()) {
      return ProtocolError{400, "malformed_http", "Content-Length is not a number"};
    }
    if (length > body_limit) {
      return ProtocolError{413, "body_too_large",
                           fmt::format("request body exceeds {} bytes", body_limit)};
    }
  }
  return std::nullopt;
}

// What a client may send as X-Request-Id: it is logged and echoed as sent.
bool IsAcceptableRequestId(std::string_view id) {
  return !id.empty() && id.size() <= 128 &&
         std::all_of(id.begin(), id.end(), [](char c) { return c > 32 && c < 127; });
}

}  // namespace

std::optional<ProtocolError> CheckHead(const BeastRequest& req, const ServerOptions& limits,
                                       RequestTarget& target) {
  if (auto framing = CheckFraming(req, limits.body_limit)) return framing;
  const size_t fields = static_cast<size_t>(std::distance(req.begin(), req.end()));
  if (fields > limits.max_header_count) {
    return ProtocolError{
        431, "headers_too_many",
        fmt::format("a request may have at most {} header fields", limits.max_header_count)};
  }
  if (req.target().size() > kMaxTargetLength) {
    return ProtocolError{414, "uri_too_long",
                         fmt::format("the request target exceeds {} bytes", kMaxTargetLength)};
  }
  auto checked = ParseRequestTarget(req.target());
  if (!checked) return ProtocolError{400, checked.error().code, checked.error().message};
  if (auto id = req.find("x-request-id"); id != req.end() && !IsAcceptableRequestId(id->value())) {
    return ProtocolError{400, "invalid_request_id",
                         "X-Request-Id must be 1 to 128 visible ASCII characters", "X-Request-Id"};
  }
  target = std::move(*checked);
  return std::nullopt;
}

void FillRequest(const BeastRequest& req, const RequestTarget& target, Request& out) {
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  out.path = target.path;
  out.query = target.query;
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  // The caller's id when it has one (checked by CheckHead), so traces join
  // up across services. It is only ever a label, never a key.
  const std::string_view id = out.Header("x-request-id");
  out.request_id = id.empty() ? NewId("req") : std::string(id);
}

}  // namespace payments::http
