#include <gtest/gtest.h>

#include "migrate/migration.h"
#include "store/instance_store.h"
#include "support/matchers.h"
#include "support/test_database.h"

namespace payments::store {
namespace {

using payments::testing::IsOk;

using testing::QueryValue;
using testing::TestDatabase;

TEST(InstanceStoreTest, DescribesThisProcess) {
  const Instance a = DescribeThisInstance(migrate::BuiltInSchemaVersion());
  const Instance b = DescribeThisInstance(migrate::BuiltInSchemaVersion());
  EXPECT_TRUE(a.id.starts_with("inst_"));
  EXPECT_NE(a.id, b.id);
  EXPECT_EQ(a.schema_version, migrate::BuiltInSchemaVersion());
  EXPECT_EQ(a.pid, getpid());
  EXPECT_FALSE(a.host.empty());
  EXPECT_NE(a.binary_version.find("0."), std::string::npos);
}

TEST(InstanceStoreTest, RegisterHeartbeatListAndDeregister) {
  TestDatabase db;
  ASSERT_TRUE(db.Migrate());
  auto conn = db.Connect();
  Instance self = DescribeThisInstance(migrate::BuiltInSchemaVersion());
  ASSERT_TRUE(RegisterInstance(*conn, self));
  auto live = ListLiveInstances(*conn);
  ASSERT_THAT(live, IsOk());
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].id, self.id);
  EXPECT_EQ((*live)[0].schema_version, self.schema_version);
  EXPECT_EQ((*live)[0].binary_version, self.binary_version);
  EXPECT_EQ((*live)[0].pid, self.pid);
  EXPECT_FALSE((*live)[0].started_at.empty());

  // A heartbeat older than the bound: no longer live (it crashed, say)...
  ASSERT_TRUE(conn->Exec("UPDATE instances SET heartbeat_at = now() - interval '1 minute'"));
  EXPECT_TRUE(ListLiveInstances(*conn, std::chrono::seconds(30))->empty());
  EXPECT_EQ(ListLiveInstances(*conn, std::chrono::seconds(120))->size(), 1u);
  // ...until it heartbeats again.
  ASSERT_TRUE(HeartbeatInstance(*conn, self));
  EXPECT_EQ(ListLiveInstances(*conn)->size(), 1u);

  // A heartbeat puts back a row someone deleted.
  ASSERT_TRUE(conn->Exec("DELETE FROM instances"));
  ASSERT_TRUE(HeartbeatInstance(*conn, self));
  EXPECT_EQ(ListLiveInstances(*conn)->size(), 1u);

  ASSERT_TRUE(DeregisterInstance(*conn, self.id));
  EXPECT_TRUE(ListLiveInstances(*conn)->empty());
  EXPECT_TRUE(DeregisterInstance(*conn, self.id));  // twice is fine
}

TEST(InstanceStoreTest, RegisteringPrunesInstancesDeadForADay) {
  TestDatabase db;
  ASSERT_TRUE(db.Migrate());
  auto conn = db.Connect();
  Instance dead = DescribeThisInstance(migrate::BuiltInSchemaVersion());
  ASSERT_TRUE(RegisterInstance(*conn, dead));
  ASSERT_TRUE(conn->Exec("UPDATE instances SET heartbeat_at = now() - interval '25 hours'"));
  ASSERT_TRUE(RegisterInstance(*conn, DescribeThisInstance(migrate::BuiltInSchemaVersion())));
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM instances"), "1");
}

TEST(InstanceStoreTest, WithoutTheRegistryTableRegistrationSaysSo) {
  TestDatabase db;
  auto conn = db.Connect();
  auto r = RegisterInstance(*conn, DescribeThisInstance(migrate::BuiltInSchemaVersion()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sqlstate, db::kUndefinedTable);
}

}  // namespace
}  // namespace payments::store
