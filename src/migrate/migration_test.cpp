#include "migrate/migration.h"

#include <gtest/gtest.h>

#include "migrate/plan.h"
#include "support/matchers.h"

namespace payments::migrate {
namespace {

using payments::testing::IsOk;

TEST(MigrationTest, VersionsSortNumericallyAndUndoFilesAttach) {
  const std::vector<EmbeddedFile> files = {
      {"0010_ten.sql", "SELECT 10;"},
      {"9_nine.sql", "SELECT 9;"},
      {"0010_ten.down.sql", "SELECT -10;"},
  };
  auto m = ParseMigrationFiles(files);
  ASSERT_THAT(m, IsOk());
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].version, 9);
  EXPECT_EQ((*m)[1].version, 10);
  EXPECT_EQ((*m)[1].down_sql, "SELECT -10;");
  EXPECT_EQ((*m)[1].down_statements.size(), 1u);
  EXPECT_TRUE((*m)[1].reversible());
  EXPECT_FALSE((*m)[0].reversible());
}

TEST(MigrationTest, BadNamesDuplicatesAndOrphanUndoFilesAreRefused) {
  for (const std::vector<EmbeddedFile>& files : std::vector<std::vector<EmbeddedFile>>{
           {{"add_things.sql", ""}},
           {{"0001_Upper.sql", ""}},
           {{"0001_a.sql", ""}, {"1_b.sql", ""}},
           {{"0002_b.down.sql", ""}},
       }) {
    auto m = ParseMigrationFiles(files);
    EXPECT_FALSE(m) << files[0].name;
  }
}

TEST(MigrationTest, ReadsDirectivesFromTheLeadingComments) {
  auto m =
      ParseMigration("0005_split_name.sql",
                     "-- Split the customer's name.\n"
                     "-- migrate:phase expand\n"
                     "-- migrate:lock_timeout 250ms\n"
                     "-- migrate:statement_timeout 2min\n"
                     "-- migrate:transition customers\n"
                     "-- migrate:new-column given text = split_part(full_name, ' ', 1)\n"
                     "-- migrate:new-column family text =\n"
                     "--     nullif(substr(full_name, strpos(full_name, ' ') + 1), full_name)\n"
                     "-- migrate:old-column full_name = concat_ws(' ', given, family)\n"
                     "-- migrate:backfill UPDATE customers SET score = 0\n"
                     "--   WHERE score IS NULL AND (a = 1 OR b = 2)\n"
                     "-- an ordinary comment\n"
                     "\n"
                     "CREATE INDEX CONCURRENTLY customers_given ON customers (given);\n"
                     "-- migrate:phase contract   (not in the leading block: ignored)\n");
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->phase, Phase::kExpand);
  EXPECT_EQ(m->lock_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(m->statement_timeout, std::chrono::milliseconds(120'000));
  ASSERT_EQ(m->transitions.size(), 1u);
  const Transition& t = m->transitions[0];
  EXPECT_EQ(t.table, "customers");
  ASSERT_EQ(t.new_columns.size(), 2u);
  EXPECT_EQ(t.new_columns[1].name, "family");
  EXPECT_EQ(t.new_columns[1].type, "text");
  EXPECT_EQ(t.new_columns[1].expression,
            "nullif(substr(full_name, strpos(full_name, ' ') + 1), full_name)");
  EXPECT_EQ(t.old_columns[0].expression, "concat_ws(' ', given, family)");
  ASSERT_EQ(m->backfills.size(), 1u);
  EXPECT_EQ(m->backfills[0].table, "customers");
  EXPECT_EQ(m->backfills[0].set, "score = 0");
  EXPECT_EQ(m->backfills[0].condition, "score IS NULL AND (a = 1 OR b = 2)");
  EXPECT_EQ(m->backfills[0].line, 10);
  EXPECT_EQ(m->statements.size(), 1u);
}

TEST(MigrationTest, MalformedDirectivesNameFileAndLine) {
  struct Case {
    const char* sql;
    const char* expect;
  };
  for (const Case& c : std::vector<Case>{
           {"-- migrate:phase sideways\n", "0003_x.sql:1: migrate:phase"},
           {"-- migrate:lock_timeout soon\n", "0003_x.sql:1: migrate:lock_timeout"},
           {"--\n-- migrate:frobnicate\n", "0003_x.sql:2: migrate:frobnicate: unknown directive"},
           {"-- migrate:backfill DELETE FROM t\n", "migrate:backfill"},
           {"-- migrate:backfill UPDATE t SET a = b.c FROM b\n", "no FROM"},
           {"-- migrate:new-column a text = b\n", "must follow a migrate:transition"},
           {"-- migrate:phase expand\n-- migrate:transition t\n-- migrate:new-column a text = b\n",
            "needs at least one"},
           {"-- migrate:transition t\n-- migrate:new-column a text = b\n"
            "-- migrate:old-column b = a\n",
            "belongs in an expand migration"},
           {"-- migrate:phase expand\n-- migrate:complete-transition 2\n", "contract"},
           {"-- migrate:phase contract\n-- migrate:complete-transition 3\n", "earlier migration"},
           {"SELECT 'open;\n", "0003_x.sql:1: unterminated string literal"},
       }) {
    auto m = ParseMigration("0003_x.sql", c.sql);
    ASSERT_FALSE(m) << c.sql;
    EXPECT_NE(m.error().message.find(c.expect), std::string::npos) << m.error().message;
  }
}

TEST(MigrationTest, DurationsWhoseMillisecondsOverflowAreRefused) {
  // Found while fuzzing migration files (fuzz/regressions/migration_file/):
  // the multiplication overflowed, undefined behaviour.
  auto m = ParseMigration("0003_x.sql", "-- migrate:lock_timeout 999999999999999999min\n");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("0003_x.sql:1: migrate:lock_timeout"), std::string::npos);
}

TEST(PlanTest, ConcurrentStatementsRunOnTheirOwnBetweenTransactions) {
  auto m = ParseMigration("0004_idx.sql",
                          "ALTER TABLE t ADD COLUMN a text;\n"
                          "ALTER TABLE t ADD COLUMN b text;\n"
                          "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_a ON t (a);\n"
                          "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh';\n"
                          "REINDEX (VERBOSE) TABLE CONCURRENTLY public.t;\n"
                          "COMMENT ON COLUMN t.a IS 'x';\n");
  ASSERT_TRUE(m);
  auto steps = PlanUp(*m);
  ASSERT_THAT(steps, IsOk());
  ASSERT_EQ(steps->size(), 5u);
  EXPECT_EQ((*steps)[0].kind, StepKind::kTransaction);
  EXPECT_EQ((*steps)[0].statements.size(), 2u);
  EXPECT_EQ((*steps)[0].description, "statements at lines 1-2 (one transaction)");
  EXPECT_EQ((*steps)[1].kind, StepKind::kOnItsOwn);
  EXPECT_EQ((*steps)[1].index_name, "t_a");
  EXPECT_EQ((*steps)[2].kind, StepKind::kOnItsOwn);
  EXPECT_EQ((*steps)[1].description,
            "CREATE UNIQUE INDEX CONCURRENTLY at line 3 (on its own, outside a transaction)");
  EXPECT_EQ((*steps)[2].description,
            "ALTER TYPE ... ADD VALUE at line 4 (on its own, outside a transaction)");
  EXPECT_EQ((*steps)[3].description,
            "REINDEX (VERBOSE) TABLE CONCURRENTLY at line 5 (on its own, outside a transaction)");
  EXPECT_EQ((*steps)[3].reindex_target, "public.t");
  EXPECT_FALSE((*steps)[3].reindex_index);
  EXPECT_EQ((*steps)[4].kind, StepKind::kTransaction);
}

TEST(PlanTest, TransactionControlIsRefusedWithFileAndLine) {
  auto m = ParseMigration("0004_tx.sql", "SELECT 1;\nBEGIN;\nSELECT 2;\nCOMMIT;\n");
  ASSERT_TRUE(m);
  auto steps = PlanUp(*m);
  ASSERT_FALSE(steps);
  EXPECT_NE(steps.error().message.find("0004_tx.sql:2:"), std::string::npos);
}

TEST(PlanTest, ATransitionInstallsFirstAndBackfillsOnlyRowsNotInStep) {
  auto m = ParseMigration("0007_rename.sql",
                          "-- migrate:phase expand\n"
                          "-- migrate:transition shop.orders\n"
                          "-- migrate:new-column note text = description\n"
                          "-- migrate:old-column description = note\n"
                          "-- migrate:backfill UPDATE shop.orders SET x = 1\n"
                          "CREATE INDEX CONCURRENTLY orders_note ON shop.orders (note);\n");
  ASSERT_THAT(m, IsOk());
  auto steps = PlanUp(*m);
  ASSERT_TRUE(steps);
  ASSERT_EQ(steps->size(), 2u);
  EXPECT_EQ((*steps)[0].installs, std::vector<size_t>{0});
  ASSERT_EQ((*steps)[0].statements.size(), 3u);
  EXPECT_EQ((*steps)[0].statements[0].sql,
            "ALTER TABLE \"shop\".\"orders\" ADD COLUMN \"note\" text");
  EXPECT_EQ((*steps)[0].statements[2].sql,
            "CREATE TRIGGER \"migrate_0007_0_orders\" BEFORE INSERT OR UPDATE ON "
            "\"shop\".\"orders\" FOR EACH ROW EXECUTE FUNCTION "
            "\"shop\".\"migrate_0007_0_orders\"()");
  const auto backfills = PlanBackfills(*m);
  ASSERT_EQ(backfills.size(), 2u);
  EXPECT_EQ(backfills[0].set, "\"description\" = \"description\"");
  EXPECT_EQ(backfills[0].condition, "\"note\" IS NULL AND (\"description\" IS NOT NULL)");
  EXPECT_EQ(backfills[1].set, "x = 1");
  EXPECT_TRUE(m->reversible() == false);  // it has a body statement and no undo file
}

}  // namespace
}  // namespace payments::migrate
