#include "http/request_parser.h"

#include <fmt/format.h>

#include <boost/beast/http/parser.hpp>

#include "http/request_head.h"

namespace payments::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

// Beast's errors as the server answers them (Session::OnReadError).
ProtocolError Refusal(beast::error_code ec, const ServerOptions& limits) {
  if (ec == bhttp::error::header_limit) {
    return {431, "headers_too_large", "request headers are too large"};
  }
  if (ec == bhttp::error::body_limit) {
    return {413, "body_too_large", fmt::format("request body exceeds {} bytes", limits.body_limit)};
  }
  return {400, "malformed_http", fmt::format("malformed HTTP request: {}", ec.message())};
}

}  // namespace

ParseResult ParseRequest(std::string_view bytes, const ServerOptions& limits) {
  ParseResult result;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.body_limit(limits.body_limit);
  parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
  auto refuse = [&](ProtocolError e) {
    result.kind = ParseResult::Kind::kRefused;
    result.refusal = std::move(e);
    return result;
  };
  // As the server reads a socket: the head first, checked before any body.
  beast::error_code ec;
  size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec == bhttp::error::need_more) return result;
  if (ec) return refuse(Refusal(ec, limits));
  RequestTarget target;
  if (auto refused = CheckHead(parser.get(), limits, target)) return refuse(*refused);
  parser.eager(true);
  while (!parser.is_done()) {
    const size_t more =
        parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += more;
    if (ec == bhttp::error::need_more) return result;
    if (ec) return refuse(Refusal(ec, limits));
    if (more == 0) return result;
  }
  FillRequest(parser.get(), target, result.request);
  result.request.body = parser.get().body();
  result.kind = ParseResult::Kind::kRequest;
  result.consumed = used;
  return result;
}

}  // namespace payments::http
