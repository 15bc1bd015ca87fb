#include <gtest/gtest.h>

#include <thread>

#include "events/cloud_event.h"
#include "events/event_types.h"
#include "store/event_store.h"
#include "support/test_database.h"

namespace payments::store {
namespace {

using std::chrono::hours;
using std::chrono::system_clock;
using testing::QueryValue;
using testing::TestDatabase;

constexpr char kMerchant[] = "mer_01jd8k3m6w9q4r2t7v5x0y1z3a";

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.Migrate());
    conn_ = db_.Connect();
    ASSERT_TRUE(conn_);
    ASSERT_TRUE(conn_->Exec("INSERT INTO merchants (id, name) VALUES ($1, 'shop')",
                            db::Params().Add(kMerchant)));
  }

  events::Event Insert(db::Connection& conn, system_clock::time_point at = system_clock::now()) {
    events::Event e = events::MakeEvent(events::kPaymentCreated, kMerchant,
                                        "pay_01jd8k3m6w9q4r2t7v5x0y1z3c", {{"x", 1}}, at);
    EXPECT_TRUE(InsertEvent(conn, e));
    return e;
  }

  std::vector<std::string> UnpublishedIds() {
    auto rows = SelectUnpublishedEvents(*conn_, 1000);
    EXPECT_TRUE(rows);
    std::vector<std::string> ids;
    for (const OutboxRow& r : *rows) ids.push_back(r.id);
    return ids;
  }

  TestDatabase db_;
  std::unique_ptr<db::Connection> conn_;
};

TEST_F(OutboxTest, ALateCommitWithALowerSeqIsStillSelected) {
  auto late = db_.Connect();
  ASSERT_TRUE(late->Exec("BEGIN"));
  const events::Event first = Insert(*late);  // takes the lower seq, commits last
  const events::Event second = Insert(*conn_);
  EXPECT_EQ(UnpublishedIds(), std::vector<std::string>{second.id});
  auto rows = SelectUnpublishedEvents(*conn_, 10);
  ASSERT_TRUE(rows);
  ASSERT_TRUE(MarkEventsPublished(*conn_, {(*rows)[0].seq}));
  EXPECT_EQ(UnpublishedIds(), std::vector<std::string>{});
  ASSERT_TRUE(late->Exec("COMMIT"));
  EXPECT_EQ(UnpublishedIds(), std::vector<std::string>{first.id});
}

TEST_F(OutboxTest, RowsComeInSeqOrderAndMarkingCountsOnlyUnpublishedOnes) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Insert(*conn_).id);
  auto rows = SelectUnpublishedEvents(*conn_, 3);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].id, ids[0]);
  EXPECT_EQ((*rows)[2].id, ids[2]);
  EXPECT_EQ((*rows)[0].subject, "pay_01jd8k3m6w9q4r2t7v5x0y1z3c");
  EXPECT_EQ((*rows)[0].type, "payment.created");
  auto marked = MarkEventsPublished(*conn_, {(*rows)[0].seq, (*rows)[1].seq});
  ASSERT_TRUE(marked);
  EXPECT_EQ(*marked, 2);
  marked = MarkEventsPublished(*conn_, {(*rows)[1].seq, (*rows)[2].seq});
  EXPECT_EQ(*marked, 1);
  EXPECT_EQ(UnpublishedIds(), (std::vector<std::string>{ids[3], ids[4]}));
}

TEST_F(OutboxTest, StatsCountTheBacklogAndTheAgeOfItsOldestEvent) {
  auto stats = ReadOutboxStats(*conn_);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->backlog, 0);
  EXPECT_EQ(stats->oldest_unpublished_age, 0);
  Insert(*conn_, system_clock::now() - hours(1));
  Insert(*conn_);
  stats = ReadOutboxStats(*conn_);
  EXPECT_EQ(stats->backlog, 2);
  EXPECT_GE(stats->oldest_unpublished_age, 3590);
  EXPECT_LE(stats->oldest_unpublished_age, 3700);
}

TEST_F(OutboxTest, PurgeDeletesOldPublishedEventsOnlyUnlessAskedOtherwise) {
  const auto now = system_clock::now();
  for (int i = 0; i < 5; ++i) Insert(*conn_, now - hours(24 * 40));
  const std::string old_unpublished = Insert(*conn_, now - hours(24 * 40)).id;
  const std::string recent = Insert(*conn_, now).id;
  ASSERT_TRUE(conn_->Exec("UPDATE events SET published_at = now() WHERE id <> $1",
                          db::Params().Add(old_unpublished)));
  auto purged = PurgeEvents(*conn_, now - hours(24 * 30), false, 3);
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 3);
  EXPECT_EQ(*PurgeEvents(*conn_, now - hours(24 * 30), false, 3), 2);
  EXPECT_EQ(*PurgeEvents(*conn_, now - hours(24 * 30), false, 3), 0);
  EXPECT_EQ(QueryValue(*conn_, "SELECT string_agg(id, ',' ORDER BY seq) FROM events"),
            old_unpublished + "," + recent);
  // Without Kafka nothing will ever publish them: retention applies to all.
  EXPECT_EQ(*PurgeEvents(*conn_, now - hours(24 * 30), true, 3), 1);
  EXPECT_EQ(QueryValue(*conn_, "SELECT string_agg(id, ',') FROM events"), recent);
}

// One, two (rows of VALUES) and more (arrays) events of one change: each
// stored as given, quotes and backslashes included, in the order given.
TEST_F(OutboxTest, TheEventsOfAChangeAreStoredAsGivenInTheirOrder) {
  const auto at = system_clock::time_point(std::chrono::milliseconds(1795000000123));
  for (size_t n : {1u, 2u, 3u}) {
    ASSERT_TRUE(conn_->Exec("DELETE FROM events"));
    std::vector<events::Event> batch;
    for (size_t i = 0; i < n; ++i) {
      batch.push_back(events::MakeEvent(events::kPaymentCreated, kMerchant, "pay_1",
                                        {{"note", "a \"quoted\" \\ path " + std::to_string(i)}},
                                        at));
    }
    const db::BatchItem item = InsertEventsItem(batch);
    ASSERT_TRUE(conn_->Run(*item.statement, item.params));
    auto rows = SelectUnpublishedEvents(*conn_, 10);
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), n);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ((*rows)[i].id, batch[i].id) << n << " events";
      EXPECT_EQ((*rows)[i].payload, batch[i].payload) << n << " events";
    }
    EXPECT_EQ(QueryValue(*conn_,
                         "SELECT count(*) FROM events WHERE created_at = "
                         "to_timestamp(1795000000.123)"),
              std::to_string(n));
  }
}

TEST_F(OutboxTest, TheRelayLockHasOneHolderAndGoesAwayWithItsConnection) {
  auto a = db_.Connect();
  auto b = db_.Connect();
  EXPECT_EQ(*TryAcquireRelayLock(*a), true);
  EXPECT_EQ(*TryAcquireRelayLock(*b), false);
  ASSERT_TRUE(ReleaseRelayLock(*a));
  EXPECT_EQ(*TryAcquireRelayLock(*b), true);
  EXPECT_EQ(*TryAcquireRelayLock(*a), false);
  b.reset();  // the holder's session ends: a dead process, a cut connection
  // The server notices the closed socket asynchronously; poll with a deadline.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool acquired = false;
  while (!acquired && std::chrono::steady_clock::now() < deadline) {
    acquired = *TryAcquireRelayLock(*a);
    if (!acquired) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(acquired);
}

}  // namespace
}  // namespace payments::store
