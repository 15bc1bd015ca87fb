#include "core/json_text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace payments {
namespace {

TEST(JsonTextTest, FindsANulInAnyStringOrKeyWithItsPath) {
  using nlohmann::ordered_json;
  EXPECT_EQ(FindJsonTextProblem(ordered_json::parse(R"({"a":["x",{"b":"ok"}],"n":1})")),
            std::nullopt);
  auto in_value = FindJsonTextProblem(ordered_json::parse(R"({"a":["x",{"b":"o\u0000k"}]})"));
  ASSERT_TRUE(in_value);
  EXPECT_EQ(in_value->path, "a.1.b");
  EXPECT_EQ(in_value->problem, TextProblem::kNul);
  auto in_key = FindJsonTextProblem(nlohmann::json::parse(R"({"ok":{"k\u0000":1}})"));
  ASSERT_TRUE(in_key);
  EXPECT_EQ(in_key->path, std::string("ok.k\0", 5));
  auto root = FindJsonTextProblem(nlohmann::json("a\0b"));
  EXPECT_EQ(FindJsonTextProblem(nlohmann::json(std::string("a\0b", 3)))->path, "");
  EXPECT_EQ(root, std::nullopt);  // a C string stops at its NUL: nothing to find
}

}  // namespace
}  // namespace payments
