#include "core/text.h"

#include <gtest/gtest.h>

#include <string>

namespace payments {
namespace {

using namespace std::string_literals;

TEST(TextTest, AcceptsUtf8OfEveryLength) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9"));       // é
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));      // €
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x92\xb3"));  // 💳
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  EXPECT_TRUE(IsValidUtf8("\xed\x9f\xbf"));      // U+D7FF, just below the surrogates
}

TEST(TextTest, RefusesWhatPostgresqlRefuses) {
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\x80"));              // a continuation byte alone
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // cut short
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // cut short
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // U+D800, a surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("ok\xc3(ok"));         // a bad continuation
}

TEST(TextTest, CountsCodePointsAsPostgresqlDoes) {
  EXPECT_EQ(Utf8Length(""), 0u);
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length("caf\xc3\xa9"), 4u);
  EXPECT_EQ(Utf8Length("\xf0\x9f\x92\xb3\xf0\x9f\x92\xb3"), 2u);
}

TEST(TextTest, NamesTheProblem) {
  EXPECT_EQ(CheckText("fine\ttext\n"), std::nullopt);
  EXPECT_EQ(CheckText("a\0b"s), TextProblem::kNul);
  EXPECT_EQ(CheckText("\xff"), TextProblem::kInvalidUtf8);
  EXPECT_EQ(CheckText("tab\there", /*allow_control=*/false), TextProblem::kControl);
  EXPECT_EQ(CheckText("del\x7f", /*allow_control=*/false), TextProblem::kControl);
  EXPECT_EQ(Describe(TextProblem::kNul), "contains a NUL character");
}

}  // namespace
}  // namespace payments
