#include "http/request_target.h"

#include <gtest/gtest.h>

#include <string>

namespace payments::http {
namespace {

std::string CodeOf(std::string_view target) {
  auto t = ParseRequestTarget(target);
  return t ? "ok" : t.error().code;
}

TEST(RequestTargetTest, SplitsPathAndQuery) {
  auto t = ParseRequestTarget("/v1/payments?limit=3&starting_after=pay_1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/v1/payments");
  EXPECT_EQ(t->query, "limit=3&starting_after=pay_1");
  EXPECT_EQ(CodeOf("/"), "ok");
  EXPECT_EQ(CodeOf("/v1/payments/pay_1Ab/capture"), "ok");
  EXPECT_EQ(CodeOf("/v1/events?type=payment.%2A"), "ok");
  EXPECT_EQ(CodeOf("/admin/flags/kill-switch.sandbox"), "ok");
}

TEST(RequestTargetTest, RefusesPathsThatWouldRouteUnlikeTheyRead) {
  for (const char* target : {"//v1/payments", "/v1//payments", "/v1/payments/", "//",
                             "/v1/./payments", "/v1/../v1/payments", "/..", "/v1/%2F",
                             "/v1/pay%2fments", "/%2e%2e/v1", "/v1/payments/pay_1%00"}) {
    EXPECT_EQ(CodeOf(target), "invalid_path") << target;
  }
}

TEST(RequestTargetTest, RefusesBytesOutsideThePathCharacters) {
  using namespace std::string_literals;
  for (const std::string& target :
       {"/\xff"s, "/v1/payments/caf\xc3\xa9"s, "/v1/pay ments"s, "/v1/\0"s, "/v1/pay\\ments"s,
        "/v1/payments#frag"s, "/v1/\"x\""s, "/v1/<script>"s}) {
    EXPECT_EQ(CodeOf(target), "invalid_path") << target;
  }
  EXPECT_EQ(CodeOf("*"), "invalid_path");
  EXPECT_EQ(CodeOf("http://example.test/v1/payments"), "invalid_path");
  EXPECT_EQ(CodeOf(""), "invalid_path");
  EXPECT_EQ(CodeOf(std::string(kMaxTargetLength + 1, 'a').insert(0, "/")), "invalid_path");
}

TEST(RequestTargetTest, RefusesRawBytesInTheQuery) {
  EXPECT_EQ(CodeOf("/v1/payments?starting_after=\xff"), "invalid_query");
  EXPECT_EQ(CodeOf("/v1/payments?a=b c"), "invalid_query");
  EXPECT_EQ(CodeOf("/v1/payments?a=\"b\""), "invalid_query");
  EXPECT_EQ(CodeOf("/v1/payments?a=%FF"), "ok");  // decoded and checked by the query parser
  EXPECT_EQ(CodeOf("/v1/payments?created[gte]=1"), "ok");  // the filters' names, unencoded
  EXPECT_EQ(CodeOf("/v1/payments[0]"), "invalid_path");    // in the path they stay refused
}

TEST(RequestTargetTest, TheMessageNeverEchoesTheTarget) {
  auto t = ParseRequestTarget("/\xff<script>");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message.find("script"), std::string::npos);
  EXPECT_EQ(t.error().message.find('\xff'), std::string::npos);
}

}  // namespace
}  // namespace payments::http
