#include "http/request_parser.h"

#include <gtest/gtest.h>

namespace payments::http {
namespace {

ParseResult Parse(std::string_view bytes) { return ParseRequest(bytes, ServerOptions{}); }

TEST(RequestParserTest, ReadsARequestAsAHandlerGetsIt) {
  auto r = Parse(
      "POST /v1/payments?limit=3 HTTP/1.1\r\nHost: t\r\nX-Request-Id: abc\r\n"
      "Content-Length: 2\r\n\r\n{}");
  ASSERT_EQ(r.kind, ParseResult::Kind::kRequest);
  EXPECT_EQ(r.request.method, "POST");
  EXPECT_EQ(r.request.path, "/v1/payments");
  EXPECT_EQ(r.request.query, "limit=3");
  EXPECT_EQ(r.request.body, "{}");
  EXPECT_EQ(r.request.request_id, "abc");
  EXPECT_EQ(r.request.Header("host"), "t");
}

TEST(RequestParserTest, ReadsAChunkedBody) {
  auto r = Parse(
      "POST /v1/payments HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\n{}\r\n0\r\n\r\n");
  ASSERT_EQ(r.kind, ParseResult::Kind::kRequest);
  EXPECT_EQ(r.request.body, "{}");
}

TEST(RequestParserTest, RefusesFramingAProxyCouldReadDifferently) {
  for (const char* head :
       {"Transfer-Encoding: identity\r\n", "Transfer-Encoding: chunked, identity\r\n",
        "Transfer-Encoding: xchunked\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
        "Content-Length: 3\r\nContent-Length: 4\r\n"}) {
    auto r = Parse(std::string("POST / HTTP/1.1\r\nHost: t\r\n") + head + "\r\n");
    ASSERT_EQ(r.kind, ParseResult::Kind::kRefused) << head;
    EXPECT_EQ(r.refusal.status, 400) << head;
  }
  auto gzip = Parse("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  ASSERT_EQ(gzip.kind, ParseResult::Kind::kRefused);
  EXPECT_EQ(gzip.refusal.status, 501);
  auto http10 = Parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_EQ(http10.kind, ParseResult::Kind::kRefused);
  EXPECT_EQ(http10.refusal.status, 400);
}

TEST(RequestParserTest, RefusesTargetsHeadersAndIdsBeforeTheBody) {
  auto path = Parse("GET //v1/payments HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_EQ(path.kind, ParseResult::Kind::kRefused);
  EXPECT_EQ(path.refusal.code, "invalid_path");
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(Parse(many + "\r\n").refusal.status, 431);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nX-Request-Id: a b\r\n\r\n").refusal.code,
            "invalid_request_id");
  EXPECT_EQ(Parse("GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n").refusal.status, 414);
  // The body is never read for a refused head: a limit is not a reason to wait.
  EXPECT_EQ(Parse("POST /v1/payments HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n").refusal.status,
            413);
}

TEST(RequestParserTest, AnIncompleteRequestIsNotARequest) {
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nHost: t\r\n").kind, ParseResult::Kind::kIncomplete);
  EXPECT_EQ(Parse("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n{}").kind,
            ParseResult::Kind::kIncomplete);
}

}  // namespace
}  // namespace payments::http
