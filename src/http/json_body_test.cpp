#include "http/json_body.h"

#include <gtest/gtest.h>

namespace payments::http {
namespace {

TEST(JsonBodyTest, EmptyBodyIsAnEmptyObject) {
  auto j = ParseJsonObject("  \n");
  ASSERT_TRUE(j);
  EXPECT_TRUE(j->is_object());
  EXPECT_TRUE(j->empty());
}

TEST(JsonBodyTest, RejectsMalformedAndNonObjects) {
  EXPECT_EQ(ParseJsonObject("{\"a\":").error().code, "invalid_json");
  EXPECT_EQ(ParseJsonObject("[1,2]").error().code, "invalid_json");
  EXPECT_EQ(ParseJsonObject("42").error().code, "invalid_json");
  EXPECT_EQ(ParseJsonObject("{\"a\":1}x").error().code, "invalid_json");
}

// Found by the request_path fuzzer: a number that overflows a double made the
// parser throw out_of_range, which became a 500 instead of a 400.
TEST(JsonBodyTest, ANumberBeyondADoublesRangeIsInvalidJsonNotAnException) {
  for (const char* body : {R"({"amount":1e999})", R"({"amount":-1e999})",
                           R"({"a":55555555e555555555555555555555555555555550555})"}) {
    auto r = ParseJsonObject(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, "invalid_json") << body;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidRequest) << body;
  }
  EXPECT_TRUE(ParseJsonObject(R"({"amount":1e308})"));
}

TEST(JsonBodyTest, RefusesDeepNestingButCountsOnlyRealBrackets) {
  std::string deep = "{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}";
  EXPECT_EQ(ParseJsonObject(deep).error().code, "json_too_deep");
  std::string ok = "{\"a\":" + std::string(31, '[') + std::string(31, ']') + "}";
  EXPECT_TRUE(ParseJsonObject(ok));
  EXPECT_TRUE(ParseJsonObject("{\"s\":\"" + std::string(100, '[') + "\"}"));
}

TEST(QueryTest, DecodesAndRejectsRepeats) {
  auto q = ParseQuery("limit=3&starting_after=pay_1&x=a%20b+c");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->at("limit"), "3");
  EXPECT_EQ(q->at("x"), "a b c");
  EXPECT_EQ(ParseQuery("limit=1&limit=2").error().param, "limit");
  EXPECT_FALSE(ParseQuery("a=%zz"));
  EXPECT_FALSE(ParseQuery("a=%2"));
  EXPECT_TRUE(ParseQuery("")->empty());
}

}  // namespace
}  // namespace payments::http
