#include "migrate/sql_lexer.h"

#include <gtest/gtest.h>

namespace payments::migrate {
namespace {

TEST(SqlLexerTest, SplitsOnSemicolonsOutsideQuotesAndComments) {
  const char* script =
      "-- leading comment; not a split\n"
      "CREATE TABLE a (x text DEFAULT 'a;b');\n"
      "/* block; /* nested; */ still comment */\n"
      "INSERT INTO a VALUES (E'it\\'s;'), ('x''y;');\n"
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;\n"
      "SELECT \"odd;name\" FROM a;;\n";
  LexResult r = SplitStatements(script);
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.statements.size(), 4u);
  EXPECT_EQ(r.statements[0].sql, "CREATE TABLE a (x text DEFAULT 'a;b')");
  EXPECT_EQ(r.statements[0].line, 2);
  ASSERT_EQ(r.statements[0].comments.size(), 1u);
  EXPECT_EQ(r.statements[0].comments[0].text, "leading comment; not a split");
  EXPECT_EQ(r.statements[1].line, 4);
  EXPECT_EQ(r.statements[1].sql, "INSERT INTO a VALUES (E'it\\'s;'), ('x''y;')");
  EXPECT_EQ(r.statements[2].line, 5);
  EXPECT_EQ(r.statements[3].tokens[1].kind, TokenKind::kQuotedName);
  EXPECT_EQ(r.statements[3].tokens[1].text, "odd;name");
}

TEST(SqlLexerTest, CountsLinesInsideStringsAndComments) {
  LexResult r = SplitStatements("SELECT $$a\nb\n$$;\n/*\n\n*/\nSELECT 'x\ny';\nSELECT 1");
  ASSERT_EQ(r.statements.size(), 3u);
  EXPECT_EQ(r.statements[1].line, 7);
  EXPECT_EQ(r.statements[2].line, 9);
  EXPECT_EQ(r.statements[2].sql, "SELECT 1");
}

TEST(SqlLexerTest, CountsAnEscapedNewlineInsideAnEString) {
  // E'...\<newline>...': the backslash escapes the line break, which still
  // starts a new line for every statement after it.
  LexResult r = SplitStatements("SELECT E'a\\\nb';\nSELECT 1;\nSELECT 'open");
  ASSERT_EQ(r.statements.size(), 2u);
  EXPECT_EQ(r.statements[1].line, 3);
  EXPECT_EQ(r.error_line, 4);
}

TEST(SqlLexerTest, ReportsUnterminatedInput) {
  EXPECT_EQ(SplitStatements("SELECT 'abc;").error, "unterminated string literal");
  EXPECT_EQ(SplitStatements("SELECT 1;\n/* open").error_line, 2);
  EXPECT_FALSE(SplitStatements("SELECT $x$ open").error.empty());
}

TEST(SqlLexerTest, KeywordComparisonIgnoresCase) {
  LexResult r = SplitStatements("create index Concurrently i on t (x)");
  ASSERT_EQ(r.statements.size(), 1u);
  EXPECT_TRUE(r.statements[0].tokens[2].Is("CONCURRENTLY"));
  EXPECT_FALSE(r.statements[0].tokens[2].Is("CONCURRENT"));
}

TEST(SqlLexerTest, PositionalParametersAreNotDollarQuotes) {
  LexResult r = SplitStatements("SELECT $1; SELECT 2");
  ASSERT_TRUE(r.error.empty());
  EXPECT_EQ(r.statements.size(), 2u);
}

}  // namespace
}  // namespace payments::migrate
