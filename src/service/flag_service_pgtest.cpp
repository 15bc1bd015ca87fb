// service::SetFlag and DeleteFlag against a real database: the change and its
// audit row in one transaction, nothing written for an unchanged definition,
// and errors named as the caller's client sent the fields.
#include <gtest/gtest.h>

#include "service/flag_service.h"
#include "support/matchers.h"
#include "support/test_database.h"

namespace payments::service {
namespace {

using payments::testing::IsOk;
using payments::testing::QueryValue;
using payments::testing::TestDatabase;

constexpr char kKey[] = "processor.sandbox.enabled";

class FlagServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.Migrate());
    conn_ = db_.Connect();
    ASSERT_NE(conn_, nullptr);
    db::PoolOptions o;
    o.connect.conninfo = db_.conninfo();
    o.size = 2;
    pool_ = std::make_unique<db::Pool>(o);
  }

  std::string Audit() {
    return QueryValue(*conn_,
                      "SELECT count(*) || ' ' || coalesce(string_agg(action || ':' || actor || ':' "
                      "|| reason, ',' ORDER BY id), '') FROM feature_flag_audit");
  }

  TestDatabase db_;
  std::unique_ptr<db::Connection> conn_;
  std::unique_ptr<db::Pool> pool_;
};

TEST_F(FlagServiceTest, AChangeIsWrittenWithItsAuditRowAndAnUnchangedOneWritesNothing) {
  flags::DefinitionEdit off;
  off.rule = flags::Rule::kOff;
  auto set = SetFlag(*pool_, kKey, off, {.actor = "alice", .reason = "INC-42"});
  ASSERT_THAT(set, IsOk());
  EXPECT_TRUE(set->changed);
  EXPECT_EQ(set->flag.version, 1);
  EXPECT_EQ(Audit(), "1 create:alice:INC-42");

  auto again = SetFlag(*pool_, kKey, off, {.actor = "bob", .reason = "again"});
  ASSERT_THAT(again, IsOk());
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->flag.version, 1);
  EXPECT_EQ(Audit(), "1 create:alice:INC-42");

  auto deleted = DeleteFlag(*pool_, kKey, {.actor = "carol", .reason = "INC-42 closed"});
  ASSERT_THAT(deleted, IsOk());
  EXPECT_EQ(deleted->version, 1);
  EXPECT_EQ(Audit(), "2 create:alice:INC-42,delete:carol:INC-42 closed");
  EXPECT_EQ(QueryValue(*conn_, "SELECT count(*) FROM feature_flags"), "0");
}

TEST_F(FlagServiceTest, ErrorsInTheEditAreNamedUnderTheCallersPrefixAndChangeNothing) {
  flags::DefinitionEdit bad;
  bad.json = R"({"type":"boolean","rule":"sideways"})";
  auto plain = SetFlag(*pool_, kKey, bad, {.actor = "alice", .reason = "r"});
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().kind, ErrorKind::kInvalidRequest);
  EXPECT_FALSE(plain.error().param.starts_with("definition")) << plain.error().param;

  auto under = SetFlag(*pool_, kKey, bad, {.actor = "alice", .reason = "r"}, "definition");
  ASSERT_FALSE(under);
  EXPECT_TRUE(under.error().param.starts_with("definition")) << under.error().param;
  if (!plain.error().param.empty()) {
    EXPECT_EQ(under.error().param, "definition." + plain.error().param);
  }

  // The key is the key, whatever the prefix.
  flags::DefinitionEdit off;
  off.rule = flags::Rule::kOff;
  auto unknown = SetFlag(*pool_, "no.such.flag", off, {.actor = "a", .reason = "r"}, "definition");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().param, "key");
  EXPECT_EQ(Audit(), "0 ");
}

TEST_F(FlagServiceTest, DeletingAFlagThatIsNotStoredIsNotFound) {
  auto deleted = DeleteFlag(*pool_, kKey, {.actor = "carol", .reason = "r"});
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(deleted.error().param, "key");
  EXPECT_EQ(Audit(), "0 ");
}

}  // namespace
}  // namespace payments::service
