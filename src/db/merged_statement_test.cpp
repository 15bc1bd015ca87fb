#include "db/merged_statement.h"

#include <gtest/gtest.h>

namespace payments::db {
namespace {

TEST(RepeatValuesTest, RenumbersEachCopyOfTheRowAfterTheOnesBefore) {
  EXPECT_EQ(RepeatValues("INSERT INTO t (a, b) VALUES ($1, $2)", 3),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6)");
}

TEST(RepeatValuesTest, KeepsCastsFunctionsAndParametersUsedTwice) {
  EXPECT_EQ(RepeatValues("INSERT INTO t VALUES ($1::jsonb, to_timestamp($2::double precision / "
                         "1000), to_timestamp($2::double precision / 1000)) RETURNING id",
                         2),
            "INSERT INTO t VALUES ($1::jsonb, to_timestamp($2::double precision / 1000), "
            "to_timestamp($2::double precision / 1000)), ($3::jsonb, to_timestamp($4::double "
            "precision / 1000), to_timestamp($4::double precision / 1000)) RETURNING id");
}

TEST(RepeatValuesTest, AListOfSeveralRowsIsRepeatedAsAWhole) {
  EXPECT_EQ(RepeatValues("INSERT INTO e VALUES ($1, $2), ($3, $4)", 2),
            "INSERT INTO e VALUES ($1, $2), ($3, $4), ($5, $6), ($7, $8)");
}

TEST(RepeatValuesTest, AValuesListInsideACommonTableExpressionKeepsTheRestAsItIs) {
  EXPECT_EQ(
      RepeatValues("WITH v (a, b) AS (VALUES ($1::text, $2::integer)), done AS (UPDATE t "
                   "SET b = v.b FROM v WHERE t.a = v.a RETURNING 1) SELECT count(*) FROM done",
                   2),
      "WITH v (a, b) AS (VALUES ($1::text, $2::integer), ($3::text, $4::integer)), done AS "
      "(UPDATE t SET b = v.b FROM v WHERE t.a = v.a RETURNING 1) SELECT count(*) FROM done");
}

TEST(RepeatValuesTest, QuotedTextIsNeitherRenumberedNorCountedAsParentheses) {
  EXPECT_EQ(RepeatValues("INSERT INTO t VALUES ($1, '$1 (', 'it''s $2)')", 2),
            "INSERT INTO t VALUES ($1, '$1 (', 'it''s $2)'), ($2, '$1 (', 'it''s $2)')");
}

TEST(RepeatValuesTest, OneCopyIsTheStatementItself) {
  EXPECT_EQ(RepeatValues("INSERT INTO t VALUES ($1)", 1), "INSERT INTO t VALUES ($1)");
}

TEST(RepeatValuesTest, RefusesParametersOutsideTheValuesList) {
  // The idempotency claim's shape: its conflict branch has parameters too.
  EXPECT_EQ(RepeatValues("INSERT INTO t VALUES ($1) ON CONFLICT (k) DO UPDATE SET x = $2", 2),
            std::nullopt);
  EXPECT_EQ(RepeatValues("WITH x AS (SELECT $2) INSERT INTO t VALUES ($1)", 2), std::nullopt);
}

TEST(RepeatValuesTest, RefusesStatementsWithoutAValuesListOrParameters) {
  EXPECT_EQ(RepeatValues("UPDATE t SET a = $1", 2), std::nullopt);
  EXPECT_EQ(RepeatValues("INSERT INTO t VALUES (1)", 2), std::nullopt);
  EXPECT_EQ(RepeatValues("INSERT INTO t VALUES ($1", 2), std::nullopt);
  EXPECT_EQ(RepeatValues("INSERT INTO t VALUES ($1)", 0), std::nullopt);
}

TEST(MergeChunksTest, PowersOfTwoLargestFirst) {
  EXPECT_EQ(MergeChunks(1), (std::vector<int>{1}));
  EXPECT_EQ(MergeChunks(2), (std::vector<int>{2}));
  EXPECT_EQ(MergeChunks(13), (std::vector<int>{8, 4, 1}));
  EXPECT_EQ(MergeChunks(64), (std::vector<int>{64}));
  EXPECT_EQ(MergeChunks(63), (std::vector<int>{32, 16, 8, 4, 2, 1}));
}

constexpr Statement kInsertPair{"test.insert_pair", "INSERT INTO t VALUES ($1, $2)", true};

TEST(MergedTest, NamesEachFormByItsUnitsAndMakesItOnce) {
  const Statement* three = Merged(kInsertPair, 3);
  ASSERT_NE(three, nullptr);
  EXPECT_EQ(three->name, "test.insert_pair*3");
  EXPECT_EQ(three->sql, "INSERT INTO t VALUES ($1, $2), ($3, $4), ($5, $6)");
  EXPECT_EQ(Merged(kInsertPair, 3), three);  // prepared by that name once per connection
  EXPECT_EQ(Merged(kInsertPair, 1), &kInsertPair);
}

}  // namespace
}  // namespace payments::db
