// Text parameters reach PostgreSQL whole or not at all.
#include <gtest/gtest.h>

#include <string>

#include "db/batch.h"
#include "db/params.h"
#include "support/test_database.h"

namespace payments::db {
namespace {

using namespace std::string_literals;
using testing::QueryValue;
using testing::TestDatabase;

class ParamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = db_.Connect();
    ASSERT_TRUE(conn_);
    ASSERT_TRUE(conn_->ExecScript("CREATE TABLE notes (body text)"));
  }
  TestDatabase db_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(ParamsTest, AValueWithANulIsRefusedNotCut) {
  const Params p = Params().Add("before\0after"s);
  EXPECT_TRUE(p.HoldsNul());
  auto inserted = conn_->Exec("INSERT INTO notes VALUES ($1)", p);
  ASSERT_FALSE(inserted);
  EXPECT_EQ(inserted.error().kind, ErrorKind::kInternal);
  static const Statement kInsert{"params_test_insert", "INSERT INTO notes VALUES ($1)"};
  EXPECT_FALSE(conn_->Run(kInsert, p));
  EXPECT_FALSE(conn_->RunBatch({{&kInsert, {}, Params().Add("ok")}, {&kInsert, {}, p}}));
  // Nothing at all was written, not even the batch's first, good, value.
  EXPECT_EQ(QueryValue(*conn_, "SELECT count(*) FROM notes"), "0");
}

TEST_F(ParamsTest, MergedParametersKeepTheRefusal) {
  Params merged;
  merged.Append(Params().Add("fine")).Append(Params().Add("a\0b"s));
  EXPECT_TRUE(merged.HoldsNul());
  EXPECT_FALSE(Params().Add("fine").Add(int64_t{7}).HoldsNul());
}

TEST_F(ParamsTest, ValuesWithoutNulArriveWhole) {
  const std::string text = "line one\nline \"two\" \xe2\x82\xac\t";
  ASSERT_TRUE(conn_->Exec("INSERT INTO notes VALUES ($1)", Params().Add(text)));
  EXPECT_EQ(QueryValue(*conn_, "SELECT body FROM notes"), text);
}

}  // namespace
}  // namespace payments::db
