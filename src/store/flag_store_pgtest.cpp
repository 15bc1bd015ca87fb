#include <gtest/gtest.h>

#include "flags/definition_json.h"
#include "store/flag_store.h"
#include "support/matchers.h"
#include "support/test_database.h"

namespace payments::store {
namespace {

using payments::testing::IsOk;

using testing::QueryValue;
using testing::TestDatabase;

class FlagStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.Migrate());
    conn_ = db_.Connect();
    ASSERT_NE(conn_, nullptr);
  }

  db::PoolOptions PoolOptions() const {
    db::PoolOptions o;
    o.connect.conninfo = db_.conninfo();
    o.size = 2;
    return o;
  }

  static FlagEdit Set(std::string_view json) {
    return [json](const std::optional<StoredFlag>&) { return flags::ParseDefinitionText(json); };
  }

  TestDatabase db_;
  std::unique_ptr<db::Connection> conn_;
};

TEST_F(FlagStoreTest, PutWritesTheFlagAndAnAuditRowAndBumpsTheVersion) {
  db::Pool pool(PoolOptions());
  auto created = PutFlag(pool, "processor.sandbox.enabled",
                         Set(R"({"type":"boolean","rule":"off"})"), {"alice", "INC-1 timeouts"});
  ASSERT_THAT(created, IsOk());
  EXPECT_TRUE(created->changed);
  EXPECT_EQ(created->flag.version, 1);
  EXPECT_EQ(created->flag.updated_by, "alice");

  auto updated = PutFlag(pool, "processor.sandbox.enabled",
                         Set(R"({"type":"boolean","rule":"on"})"), {"bob", "INC-1 resolved"});
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->flag.version, 2);

  auto audit = ListFlagAudit(*conn_, "processor.sandbox.enabled", 10);
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 2u);
  const FlagAuditRecord& last = (*audit)[0];
  EXPECT_EQ(last.action, "update");
  EXPECT_EQ(last.actor, "bob");
  EXPECT_EQ(last.reason, "INC-1 resolved");
  ASSERT_TRUE(last.old_definition && last.new_definition);
  EXPECT_EQ(flags::ParseDefinitionText(*last.old_definition)->rule, flags::Rule::kOff);
  EXPECT_EQ(flags::ParseDefinitionText(*last.new_definition)->rule, flags::Rule::kOn);
  EXPECT_FALSE(last.changed_at.empty());
  EXPECT_EQ((*audit)[1].action, "create");
  EXPECT_FALSE((*audit)[1].old_definition);
}

TEST_F(FlagStoreTest, SettingTheSameDefinitionWritesNothing) {
  db::Pool pool(PoolOptions());
  ASSERT_TRUE(PutFlag(pool, "a.flag", Set(R"({"type":"boolean","rule":"on"})"), {"a", "r"}));
  auto again = PutFlag(pool, "a.flag", Set(R"({"type":"boolean","rule":"on"})"), {"a", "r"});
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->flag.version, 1);
  EXPECT_EQ(QueryValue(*conn_, "SELECT count(*) FROM feature_flag_audit"), "1");
}

TEST_F(FlagStoreTest, ARejectedEditLeavesTheFlagAndTheAuditUnchanged) {
  db::Pool pool(PoolOptions());
  ASSERT_TRUE(PutFlag(pool, "a.flag", Set(R"({"type":"boolean","rule":"rollout","percentage":5})"),
                      {"a", "start"}));
  auto bad = PutFlag(pool, "a.flag", Set(R"({"type":"boolean","rule":"rollout","percentage":500})"),
                     {"a", "oops"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().param, "percentage");
  auto no_reason = PutFlag(pool, "a.flag", Set(R"({"type":"boolean","rule":"on"})"), {"a", ""});
  ASSERT_FALSE(no_reason);
  EXPECT_EQ(no_reason.error().param, "reason");
  auto bad_key = PutFlag(pool, "A Flag", Set(R"({"type":"boolean","rule":"on"})"), {"a", "r"});
  ASSERT_FALSE(bad_key);
  EXPECT_EQ(bad_key.error().param, "key");

  auto stored = FindFlag(*conn_, "a.flag");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->version, 1);
  EXPECT_EQ(flags::ParseDefinitionText((*stored)->definition)->rollout_buckets, 500);
  EXPECT_EQ(QueryValue(*conn_, "SELECT count(*) FROM feature_flag_audit"), "1");
}

TEST_F(FlagStoreTest, TheEditSeesTheStoredFlag) {
  db::Pool pool(PoolOptions());
  ASSERT_TRUE(PutFlag(pool, "a.flag", Set(R"({"type":"boolean","rule":"rollout","percentage":5})"),
                      {"a", "start"}));
  auto grown =
      PutFlag(pool, "a.flag",
              [](const std::optional<StoredFlag>& current) -> payments::Result<flags::Definition> {
                EXPECT_TRUE(current);
                auto d = flags::ParseDefinitionText(current->definition);
                if (!d) return d;
                d->rollout_buckets *= 2;
                return d;
              },
              {"a", "grow"});
  ASSERT_TRUE(grown);
  EXPECT_EQ(flags::ParseDefinitionText(grown->flag.definition)->rollout_buckets, 1000);
}

TEST_F(FlagStoreTest, DeleteRemovesAndAuditsAndAnswersNotFoundAfterwards) {
  db::Pool pool(PoolOptions());
  ASSERT_TRUE(PutFlag(pool, "a.flag", Set(R"({"type":"boolean","rule":"on"})"), {"a", "r"}));
  auto deleted = DeleteFlag(pool, "a.flag", {"carol", "done"});
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->key, "a.flag");
  auto again = DeleteFlag(pool, "a.flag", {"carol", "done"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kNotFound);
  EXPECT_FALSE(*FindFlag(*conn_, "a.flag"));
  auto audit = ListFlagAudit(*conn_, "", 10);
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 2u);
  EXPECT_EQ((*audit)[0].action, "delete");
  EXPECT_EQ((*audit)[0].actor, "carol");
  EXPECT_FALSE((*audit)[0].new_definition);
}

TEST_F(FlagStoreTest, EveryChangeNotifiesTheChannelAtCommit) {
  db::Pool pool(PoolOptions());
  auto listener = db_.Connect();
  ASSERT_TRUE(listener->Exec("LISTEN payments_flags"));
  // A change by hand in psql notifies too: the trigger, not the store, sends it.
  ASSERT_TRUE(
      conn_->Exec("INSERT INTO feature_flags (key, definition, updated_by) "
                  "VALUES ('by.hand', '{\"type\":\"boolean\",\"rule\":\"on\"}', 'psql')"));
  ASSERT_TRUE(PutFlag(pool, "a.flag", Set(R"({"type":"boolean","rule":"on"})"), {"a", "r"}));
  ASSERT_TRUE(DeleteFlag(pool, "a.flag", {"a", "r"}));
  // Notifications are read with the next result on the connection.
  ASSERT_TRUE(listener->Exec("SELECT 1"));
  auto notifications = listener->TakeNotifications();
  ASSERT_TRUE(notifications);
  ASSERT_EQ(notifications->size(), 3u);
  for (const auto& n : *notifications) EXPECT_EQ(n.channel, kFlagsChannel);
}

TEST_F(FlagStoreTest, TheAuditIsAppendOnly) {
  db::Pool pool(PoolOptions());
  ASSERT_TRUE(PutFlag(pool, "a.flag", Set(R"({"type":"boolean","rule":"on"})"), {"a", "r"}));
  EXPECT_FALSE(conn_->Exec("UPDATE feature_flag_audit SET actor = 'mallory'"));
  EXPECT_FALSE(conn_->Exec("DELETE FROM feature_flag_audit"));
  EXPECT_EQ(QueryValue(*conn_, "SELECT actor FROM feature_flag_audit"), "a");
}

TEST_F(FlagStoreTest, UnparsableRowsBecomeSnapshotEntriesWithTheirError) {
  ASSERT_TRUE(
      conn_->Exec("INSERT INTO feature_flags (key, definition, updated_by) VALUES "
                  "('good.flag', '{\"type\":\"boolean\",\"rule\":\"on\"}', 'psql'), "
                  "('bad.flag', '{\"type\":\"boolean\",\"rule\":\"maybe\"}', 'psql')"));
  auto rows = ListFlags(*conn_);
  ASSERT_TRUE(rows);
  auto entries = ToSnapshotEntries(*rows);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].key, "bad.flag");
  EXPECT_FALSE(entries[0].definition);
  EXPECT_TRUE(entries[1].definition);
}

}  // namespace
}  // namespace payments::store
