#include "migrate/linter.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "support/matchers.h"

namespace payments::migrate {
namespace {

using payments::testing::IsOk;

std::vector<LintFinding> LintFiles(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<EmbeddedFile> embedded;
  for (const auto& [name, content] : files) embedded.push_back({name, content});
  auto migrations = ParseMigrationFiles(embedded);
  EXPECT_THAT(migrations, IsOk());
  if (!migrations) return {};
  std::vector<LintInput> inputs;
  for (const Migration& m : *migrations) inputs.push_back({&m, m.filename, true});
  return Lint(inputs);
}

std::vector<LintFinding> LintOne(const std::string& sql) {
  return LintFiles({{"0002_change.sql", sql}});
}

std::set<std::string> Rules(const std::vector<LintFinding>& findings) {
  std::set<std::string> out;
  for (const LintFinding& f : findings) out.insert(f.rule);
  return out;
}

struct Example {
  std::string rule;
  std::string failing;
  std::string passing;
  std::string earlier = "";  // an earlier migration both examples follow
};

// One failing and one passing example per rule. Tables not created in the
// same file are existing tables.
const std::vector<Example> kExamples = {
    {"create-index-non-concurrent", "CREATE INDEX payments_amount ON payments (amount);",
     "CREATE INDEX CONCURRENTLY payments_amount ON payments (amount);"},
    {"create-index-non-concurrent",  // a table created in the same migration is new
     "CREATE UNIQUE INDEX IF NOT EXISTS notes_body ON ONLY public.payments (id);",
     "CREATE TABLE notes (id text PRIMARY KEY, body text);\n"
     "CREATE INDEX notes_body ON notes (body);"},
    {"drop-index-non-concurrent", "DROP INDEX payments_amount;",
     "DROP INDEX CONCURRENTLY IF EXISTS payments_amount;"},
    {"reindex-non-concurrent", "REINDEX INDEX payments_amount;",
     "REINDEX INDEX CONCURRENTLY payments_amount;"},
    {"add-column-volatile-default",
     "ALTER TABLE payments ADD COLUMN token uuid DEFAULT gen_random_uuid();",
     "ALTER TABLE payments ADD COLUMN seen_at timestamptz NOT NULL DEFAULT now();"},
    {"add-column-serial", "ALTER TABLE payments ADD COLUMN seq bigserial;",
     "ALTER TABLE payments ADD COLUMN seq bigint;"},
    {"add-column-serial",
     "ALTER TABLE payments ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;",
     "CREATE TABLE t (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);"},
    {"add-column-stored-generated",
     "ALTER TABLE payments ADD COLUMN net bigint GENERATED ALWAYS AS (amount - amount_refunded) "
     "STORED;",
     "ALTER TABLE payments ADD COLUMN net bigint;"},
    {"set-not-null", "ALTER TABLE payments ALTER COLUMN description SET NOT NULL;",
     "ALTER TABLE payments VALIDATE CONSTRAINT description_not_null;\n"
     "ALTER TABLE payments ALTER COLUMN description SET NOT NULL;",
     "ALTER TABLE payments ADD CONSTRAINT description_not_null CHECK (description IS NOT NULL) "
     "NOT VALID;"},
    {"constraint-without-not-valid",
     "ALTER TABLE payments ADD CONSTRAINT amount_positive CHECK (amount > 0);",
     "ALTER TABLE payments ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID;"},
    {"constraint-without-not-valid",
     "ALTER TABLE refunds ADD CONSTRAINT refunds_payment FOREIGN KEY (payment_id) REFERENCES "
     "payments (id);",
     "ALTER TABLE refunds ADD CONSTRAINT refunds_payment FOREIGN KEY (payment_id) REFERENCES "
     "payments (id) NOT VALID;"},
    {"constraint-without-not-valid",
     "ALTER TABLE payments ADD COLUMN merchant2 text REFERENCES merchants (id);",
     "ALTER TABLE payments ADD COLUMN merchant2 text;"},
    {"validate-in-same-migration",
     "ALTER TABLE payments ADD CONSTRAINT c CHECK (amount > 0) NOT VALID;\n"
     "ALTER TABLE payments VALIDATE CONSTRAINT c;",
     "ALTER TABLE payments VALIDATE CONSTRAINT c;"},
    {"alter-column-type", "ALTER TABLE payments ALTER COLUMN amount TYPE numeric;",
     "-- migrate:phase expand\n-- migrate:transition payments\n"
     "-- migrate:new-column amount_num numeric = amount\n"
     "-- migrate:old-column amount = amount_num::bigint\n"},
    {"add-unique-without-index", "ALTER TABLE payments ADD CONSTRAINT ref_unique UNIQUE (ref);",
     "ALTER TABLE payments ADD CONSTRAINT ref_unique UNIQUE USING INDEX payments_ref;"},
    {"add-unique-without-index", "ALTER TABLE events ADD PRIMARY KEY (id);",
     "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_id;"},
    {"rename-outside-contract", "ALTER TABLE payments RENAME COLUMN description TO note;",
     "-- migrate:phase contract\nALTER TABLE payments RENAME COLUMN description TO note;"},
    {"rename-outside-contract", "ALTER TABLE payments RENAME TO charges;",
     "ALTER TABLE payments RENAME CONSTRAINT a TO b;"},
    {"drop-outside-contract", "-- migrate:phase expand\nALTER TABLE payments DROP COLUMN note;",
     "-- migrate:phase contract\nALTER TABLE payments DROP COLUMN note;"},
    {"drop-outside-contract", "DROP TABLE IF EXISTS old_payments;",
     "-- migrate:phase contract\nDROP TABLE IF EXISTS old_payments;"},
    {"truncate-cascade", "TRUNCATE merchants CASCADE;",
     "TRUNCATE ledger_postings, ledger_entries;"},
    {"int-key", "CREATE TABLE t (id integer PRIMARY KEY);",
     "CREATE TABLE t (id bigint PRIMARY KEY, n integer);"},
    {"int-key", "CREATE TABLE t (a text, b int, PRIMARY KEY (a, b));",
     "CREATE TABLE t (a text, b bigint, PRIMARY KEY (a, b));"},
    {"int-key", "ALTER TABLE payments ADD COLUMN shop_id smallint REFERENCES shops (id) NOT VALID;",
     "ALTER TABLE payments ADD COLUMN attempts smallint;"},
    {"timestamp-without-time-zone", "ALTER TABLE payments ADD COLUMN settled_at timestamp(3);",
     "ALTER TABLE payments ADD COLUMN settled_at timestamptz;"},
    {"timestamp-without-time-zone", "CREATE TABLE t (id text PRIMARY KEY, at timestamp);",
     "CREATE TABLE t (id text PRIMARY KEY, at timestamp with time zone);"},
    {"char-n", "CREATE TABLE t (id text PRIMARY KEY, currency char(3));",
     "CREATE TABLE t (id text PRIMARY KEY, currency varchar(3), c2 character varying(3));"},
    {"concurrent-in-transaction",
     "BEGIN;\nCREATE INDEX CONCURRENTLY payments_amount ON payments (amount);\nCOMMIT;",
     "CREATE INDEX CONCURRENTLY payments_amount ON payments (amount);"},
    {"transaction-control", "BEGIN;\nALTER TABLE payments ADD COLUMN x text;\nCOMMIT;",
     "ALTER TABLE payments ADD COLUMN x text;"},
    {"lint-ignore-without-reason",
     "-- migrate:lint-ignore create-index-non-concurrent\n"
     "CREATE INDEX payments_amount ON payments (amount);",
     "-- migrate:lint-ignore create-index-non-concurrent: the table is empty until launch\n"
     "CREATE INDEX payments_amount ON payments (amount);"},
};

TEST(LinterTest, EveryRuleHasAFailingAndAPassingExample) {
  std::set<std::string> covered;
  for (const Example& e : kExamples) {
    SCOPED_TRACE(e.rule + ": " + e.failing);
    auto lint = [&](const std::string& sql) {
      if (e.earlier.empty()) return LintOne(sql);
      return LintFiles({{"0001_earlier.sql", e.earlier}, {"0002_change.sql", sql}});
    };
    const auto failing = lint(e.failing);
    EXPECT_TRUE(Rules(failing).contains(e.rule));
    const auto passing = lint(e.passing);
    for (const LintFinding& f : passing) ADD_FAILURE() << "passing example: " << f.ToString();
    covered.insert(e.rule);
  }
  for (const LintRule& r : LintRules()) {
    EXPECT_TRUE(covered.contains(std::string(r.id))) << "no example for " << r.id;
  }
}

TEST(LinterTest, AFindingNamesFileLineRuleAndTheSafeAlternative) {
  const auto findings = LintOne(
      "-- migrate:phase expand\n"
      "ALTER TABLE payments ADD COLUMN note text;\n"
      "\n"
      "CREATE INDEX payments_note ON payments (note);\n");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].ToString(),
            "0002_change.sql:4: create-index-non-concurrent: CREATE INDEX on existing table "
            "payments without CONCURRENTLY. Instead: CREATE INDEX CONCURRENTLY (the engine runs "
            "it outside a transaction)");
}

TEST(LinterTest, AnIgnoreSilencesOnlyItsRuleAndOnlyItsStatement) {
  const auto findings = LintOne(
      "-- migrate:lint-ignore create-index-non-concurrent: the table holds ten rows at most\n"
      "CREATE INDEX a ON payments (x);\n"
      "CREATE INDEX b ON payments (y);\n"
      "CREATE INDEX c ON payments (z) -- migrate:lint-ignore char-n: not the rule that fires here\n"
      ";\n");
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].line, 3);
  EXPECT_EQ(findings[1].line, 4);
}

TEST(LinterTest, ANotNullCheckValidatedInAnEarlierMigrationAllowsSetNotNull) {
  const auto findings = LintFiles({
      {"0002_check.sql",
       "ALTER TABLE payments ADD CONSTRAINT description_present CHECK (description IS NOT NULL) "
       "NOT VALID;"},
      {"0003_validate.sql", "ALTER TABLE payments VALIDATE CONSTRAINT description_present;"},
      {"0004_not_null.sql", "ALTER TABLE payments ALTER COLUMN description SET NOT NULL;"},
  });
  EXPECT_TRUE(findings.empty()) << findings[0].ToString();
  // Without the VALIDATE the check proves nothing.
  const auto unvalidated = LintFiles({
      {"0002_check.sql",
       "ALTER TABLE payments ADD CONSTRAINT description_present CHECK (description IS NOT NULL) "
       "NOT VALID;"},
      {"0004_not_null.sql", "ALTER TABLE payments ALTER COLUMN description SET NOT NULL;"},
  });
  ASSERT_EQ(unvalidated.size(), 1u);
  EXPECT_EQ(unvalidated[0].rule, "set-not-null");
}

TEST(LinterTest, EveryActionOfAnAlterTableIsChecked) {
  const auto findings = LintOne(
      "ALTER TABLE payments ADD COLUMN a text, ADD COLUMN b timestamp, ALTER COLUMN c TYPE "
      "bigint;");
  EXPECT_EQ(Rules(findings),
            (std::set<std::string>{"timestamp-without-time-zone", "alter-column-type"}));
}

TEST(LinterTest, TruncatedStatementsAreLintedWithoutReadingPastTheirEnd) {
  // Found by fuzz/migration_file_fuzzer.cpp (fuzz/regressions/migration_file/):
  // the linter read the token after the last one. Shows under make test-sanitize.
  EXPECT_EQ(Rules(LintOne("CREATE INDEX;\n")), std::set<std::string>{});
  EXPECT_EQ(Rules(LintOne("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS;\n")),
            std::set<std::string>{});
  EXPECT_EQ(Rules(LintOne("ALTER TABLE e ADD x, ADD CONSTRAINT;\n")), std::set<std::string>{});
}

TEST(LinterTest, AOneWordStatementInsideATransactionBlockIsNamed) {
  // Found by fuzz/migration_file_fuzzer.cpp: the message read a second token.
  const std::vector<LintFinding> findings = LintOne("BEGIN;\nVACUUM;\nCOMMIT;\n");
  EXPECT_EQ(Rules(findings),
            (std::set<std::string>{"transaction-control", "concurrent-in-transaction"}));
  for (const LintFinding& f : findings) {
    if (f.rule == "concurrent-in-transaction") {
      EXPECT_EQ(f.message.find("VACUUM inside BEGIN"), 0u) << f.message;
    }
  }
}

TEST(LinterTest, TheShippedMigrationsLintClean) {
  auto migrations = LoadMigrationDirectory(std::string(PAYMENTS_SOURCE_DIR) + "/migrations");
  ASSERT_THAT(migrations, IsOk());
  std::vector<LintInput> inputs;
  for (const Migration& m : *migrations) inputs.push_back({&m, m.filename, true});
  for (const LintFinding& f : Lint(inputs)) ADD_FAILURE() << f.ToString();
}

}  // namespace
}  // namespace payments::migrate
