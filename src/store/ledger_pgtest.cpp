// The database itself refuses a ledger that does not balance or is edited.
#include <gtest/gtest.h>

#include "db/transaction.h"
#include "support/test_database.h"

namespace payments::store {
namespace {

using testing::TestDatabase;

class LedgerConstraintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.Migrate());
    conn_ = db_.Connect();
    ASSERT_TRUE(conn_->Exec("INSERT INTO merchants (id, name) VALUES ('mer_1', 'm')"));
  }
  payments::Result<db::Rows> InsertEntry() {
    return conn_->Exec(
        "INSERT INTO ledger_entries (id, merchant_id, kind, created_at) "
        "VALUES ('je_1', 'mer_1', 'capture', now())");
  }
  // Inserts `values` (rows of entry, merchant, account, currency, amount)
  // into ledger_postings in one statement.
  payments::Result<db::Rows> Post(std::string_view values) {
    return conn_->Exec(
        std::string("INSERT INTO ledger_postings (entry_id, merchant_id, account, currency, "
                    "amount) VALUES ") +
        std::string(values));
  }
  TestDatabase db_;
  std::unique_ptr<db::Connection> conn_;
};

TEST_F(LedgerConstraintTest, AnUnbalancedEntryIsRefused) {
  ASSERT_TRUE(conn_->Exec("BEGIN"));
  ASSERT_TRUE(InsertEntry());
  auto unbalanced = Post(
      "('je_1', 'mer_1', 'processor_receivable', 'usd', 100), "
      "('je_1', 'mer_1', 'merchant_balance', 'usd', -99)");
  ASSERT_FALSE(unbalanced);
  EXPECT_EQ(unbalanced.error().sqlstate, "23514");
  EXPECT_FALSE(db::CommitTransaction(*conn_));
  EXPECT_EQ(testing::QueryValue(*conn_, "SELECT count(*) FROM ledger_postings"), "0");
}

TEST_F(LedgerConstraintTest, CurrenciesMustBalanceSeparately) {
  ASSERT_TRUE(InsertEntry());
  auto mixed = Post(
      "('je_1', 'mer_1', 'processor_receivable', 'usd', 100), "
      "('je_1', 'mer_1', 'merchant_balance', 'eur', -100)");
  ASSERT_FALSE(mixed);
  EXPECT_EQ(mixed.error().sqlstate, "23514");
}

TEST_F(LedgerConstraintTest, EachStatementMustLeaveItsEntriesBalanced) {
  // Half an entry now and the other half later is refused at the first half:
  // the postings of an entry are written by one statement.
  ASSERT_TRUE(InsertEntry());
  EXPECT_FALSE(Post("('je_1', 'mer_1', 'processor_receivable', 'usd', 100)"));
  // Adding a balanced pair to an existing entry is fine.
  ASSERT_TRUE(
      Post("('je_1', 'mer_1', 'processor_receivable', 'usd', 100), "
           "('je_1', 'mer_1', 'merchant_balance', 'usd', -100)"));
  EXPECT_TRUE(
      Post("('je_1', 'mer_1', 'processor_receivable', 'usd', 7), "
           "('je_1', 'mer_1', 'merchant_balance', 'usd', -7)"));
}

TEST_F(LedgerConstraintTest, ABalancedEntryCommitsAndIsAppendOnly) {
  ASSERT_TRUE(conn_->Exec("BEGIN"));
  ASSERT_TRUE(InsertEntry());
  ASSERT_TRUE(
      Post("('je_1', 'mer_1', 'processor_receivable', 'usd', 100), "
           "('je_1', 'mer_1', 'merchant_balance', 'usd', -100)"));
  ASSERT_TRUE(db::CommitTransaction(*conn_));
  EXPECT_FALSE(conn_->Exec("UPDATE ledger_postings SET amount = 5"));
  EXPECT_FALSE(conn_->Exec("DELETE FROM ledger_postings"));
  EXPECT_FALSE(conn_->Exec("DELETE FROM ledger_entries"));
  EXPECT_EQ(testing::QueryValue(*conn_, "SELECT sum(amount) FROM ledger_postings"), "0");
}

}  // namespace
}  // namespace payments::store
