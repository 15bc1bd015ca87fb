// The API key use cases and KeyAuthenticator on a real database.
#include <gtest/gtest.h>

#include "service/api_keys.h"
#include "service/merchant_service.h"
#include "support/matchers.h"
#include "support/test_database.h"

namespace payments::service {
namespace {

using std::chrono::milliseconds;
using testing::IsOk;
using testing::QueryValue;
using testing::TestDatabase;

class ApiKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.Migrate());
    conn_ = db_.Connect();
    ASSERT_NE(conn_, nullptr);
    db::PoolOptions o;
    o.connect.conninfo = db_.conninfo();
    o.size = 2;
    pool_ = std::make_unique<db::Pool>(o);
    auto m = CreateMerchant(*conn_, "Keys shop", "test");
    ASSERT_THAT(m, IsOk());
    merchant_ = m->id;
    first_key_ = m->secret_key;
  }

  std::string Count(const std::string& table) {
    return QueryValue(*conn_, "SELECT count(*) FROM " + table);
  }

  KeyAuthenticator Authenticator(KeyMode accepts = KeyMode::kTest) {
    return KeyAuthenticator(*pool_, {.accepts = accepts});
  }

  TestDatabase db_;
  std::unique_ptr<db::Connection> conn_;
  std::unique_ptr<db::Pool> pool_;
  std::string merchant_;
  std::string first_key_;
};

TEST_F(ApiKeysTest, OnboardingAuditsTheFirstKey) {
  EXPECT_EQ(QueryValue(*conn_,
                       "SELECT action || ' ' || actor || ' ' || key_prefix FROM "
                       "api_key_audit"),
            "create test " + first_key_.substr(0, 12));
}

TEST_F(ApiKeysTest, CreateListRevokeAndTheAuditNeverHoldTheKey) {
  auto live = CreateKey(*pool_, merchant_, KeyMode::kLive, {.actor = "alice"});
  ASSERT_THAT(live, IsOk());
  EXPECT_TRUE(live->secret.starts_with("sk_live_"));
  EXPECT_EQ(live->secret.size(), 8u + 32u);
  EXPECT_EQ(live->key.key_prefix, live->secret.substr(0, 12));
  EXPECT_EQ(live->key.mode, "live");

  auto listed = ListKeys(*pool_, merchant_);
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].id, live->key.id);

  auto revoked = RevokeKey(*pool_, live->key.id, {.actor = "bob"});
  ASSERT_THAT(revoked, IsOk());
  EXPECT_TRUE(revoked->revoked_at);
  EXPECT_EQ(revoked->revoked_by, "bob");

  auto again = RevokeKey(*pool_, live->key.id, {.actor = "bob"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "api_key_revoked");

  auto audit = KeyAudit(*pool_, merchant_, 10);
  ASSERT_THAT(audit, IsOk());
  ASSERT_EQ(audit->size(), 3u);
  EXPECT_EQ((*audit)[0].action, "revoke");
  EXPECT_EQ((*audit)[0].actor, "bob");
  EXPECT_EQ((*audit)[1].action, "create");
  EXPECT_EQ((*audit)[1].actor, "alice");
  EXPECT_EQ((*audit)[1].key_prefix, live->secret.substr(0, 12));
  const std::string everything =
      QueryValue(*conn_, "SELECT string_agg(a::text, ' ') FROM api_key_audit a");
  EXPECT_EQ(everything.find(live->secret), std::string::npos);
  EXPECT_EQ(everything.find(first_key_), std::string::npos);
  EXPECT_EQ(everything.find(QueryValue(
                *conn_, "SELECT key_hash FROM api_keys WHERE id = '" + live->key.id + "'")),
            std::string::npos);
}

TEST_F(ApiKeysTest, TheAuditIsAppendOnly) {
  auto conn = db_.Connect();
  EXPECT_FALSE(conn->Exec("DELETE FROM api_key_audit"));
  EXPECT_FALSE(conn->Exec("UPDATE api_key_audit SET actor = 'someone else'"));
  EXPECT_EQ(Count("api_key_audit"), "1");
}

TEST_F(ApiKeysTest, BadInputIsA400NamingItAndWritesNothing) {
  const std::string before = Count("api_keys") + "/" + Count("api_key_audit");
  struct Case {
    Result<CreatedKey> got;
    std::string code, param;
  };
  Case cases[] = {
      {CreateKey(*pool_, "mer_' OR 1=1 --", KeyMode::kTest, {.actor = "a"}), "invalid_merchant_id",
       "merchant"},
      {CreateKey(*pool_, merchant_, KeyMode::kTest, {.actor = ""}), "parameter_missing", "actor"},
      {CreateKey(*pool_, merchant_, KeyMode::kTest, {.actor = "a\nb"}), "parameter_invalid_string",
       "actor"},
      {CreateKey(*pool_, merchant_, KeyMode::kTest, {.actor = std::string(201, 'a')}),
       "parameter_missing", "actor"},
      {CreateKey(*pool_, merchant_, KeyMode::kTest, {.actor = "4242 4242 4242 4242"}),
       "parameter_contains_card_number", "actor"},
      {CreateKey(*pool_, merchant_, KeyMode::kTest, {.actor = "me " + first_key_}),
       "parameter_contains_secret_key", "actor"},
  };
  for (const auto& c : cases) {
    ASSERT_FALSE(c.got) << c.code;
    EXPECT_EQ(c.got.error().code, c.code);
    EXPECT_EQ(c.got.error().param, c.param);
    EXPECT_EQ(HttpStatus(c.got.error().kind), 400);
  }
  auto unknown =
      CreateKey(*pool_, "mer_00000000000000000000000000", KeyMode::kTest, {.actor = "a"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(HttpStatus(unknown.error().kind), 404);
  auto no_key = RevokeKey(*pool_, "key_00000000000000000000000000", {.actor = "a"});
  ASSERT_FALSE(no_key);
  EXPECT_EQ(HttpStatus(no_key.error().kind), 404);
  auto bad_grace =
      RollKey(*pool_, "key_00000000000000000000000000", milliseconds(-1), {.actor = "a"});
  ASSERT_FALSE(bad_grace);
  EXPECT_EQ(bad_grace.error().param, "grace_period");
  EXPECT_EQ(Count("api_keys") + "/" + Count("api_key_audit"), before);
}

TEST_F(ApiKeysTest, GracePeriodsNeedAUnitAndStayWithinSevenDays) {
  EXPECT_EQ(ParseGracePeriod("0", "g"), milliseconds(0));
  EXPECT_EQ(ParseGracePeriod("30s", "g"), milliseconds(30'000));
  EXPECT_EQ(ParseGracePeriod("7d", "g"), std::chrono::hours(24 * 7));
  for (const char* bad : {"3600", "-1s", "8d", "169h", "1w", "", "soon", "99999999999999999999d"}) {
    auto g = ParseGracePeriod(bad, "grace-period");
    ASSERT_FALSE(g) << bad;
    EXPECT_EQ(g.error().param, "grace-period");
  }
}

TEST_F(ApiKeysTest, ARolledKeyWorksUntilItsGraceEndsAndTheCacheNeverOutlivesIt) {
  auto auth = Authenticator();
  ASSERT_THAT(auth.Sync(), IsOk());
  ASSERT_EQ(*auth.Authenticate(first_key_), merchant_);  // cached now
  const std::string old_id = QueryValue(*conn_, "SELECT id FROM api_keys");
  auto rolled = RollKey(*pool_, old_id, milliseconds(1500), {.actor = "carol"});
  ASSERT_THAT(rolled, IsOk());
  EXPECT_TRUE(rolled->old_key.expires_at);
  EXPECT_FALSE(rolled->old_key.revoked_at);
  EXPECT_EQ(rolled->replacement.key.mode, "test");
  ASSERT_THAT(auth.Sync(), IsOk());  // the roll moved the generation: the cache is dropped
  EXPECT_EQ(*auth.Authenticate(first_key_), merchant_);
  EXPECT_EQ(*auth.Authenticate(rolled->replacement.secret), merchant_);
  // The old key is cached again, but only until its expiry (a Sync that
  // sees nothing new keeps the cache).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    ASSERT_THAT(auth.Sync(), IsOk());
    auto a = auth.Authenticate(first_key_);
    ASSERT_THAT(a, IsOk());
    if (!*a) break;
  }
  EXPECT_FALSE(*auth.Authenticate(first_key_));
  EXPECT_EQ(*auth.Authenticate(rolled->replacement.secret), merchant_);

  auto twice = RollKey(*pool_, old_id, milliseconds(0), {.actor = "carol"});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, "api_key_rolled");
  EXPECT_EQ(QueryValue(*conn_,
                       "SELECT detail->>'replacement_prefix' FROM api_key_audit WHERE "
                       "action = 'roll'"),
            rolled->replacement.secret.substr(0, 12));
}

TEST_F(ApiKeysTest, AGraceOfZeroRevokesAtOnce) {
  const std::string old_id = QueryValue(*conn_, "SELECT id FROM api_keys");
  auto rolled = RollKey(*pool_, old_id, milliseconds(0), {.actor = "carol"});
  ASSERT_THAT(rolled, IsOk());
  EXPECT_TRUE(rolled->old_key.revoked_at);
  auto auth = Authenticator();
  EXPECT_FALSE(*auth.Authenticate(first_key_));
  EXPECT_EQ(*auth.Authenticate(rolled->replacement.secret), merchant_);
}

TEST_F(ApiKeysTest, ARevocationDropsTheCacheAtTheNextSync) {
  auto auth = Authenticator();
  ASSERT_THAT(auth.Sync(), IsOk());
  ASSERT_EQ(*auth.Authenticate(first_key_), merchant_);
  ASSERT_EQ(*auth.Authenticate(first_key_), merchant_);
  EXPECT_EQ(auth.stats().cache_hits, 1);
  const std::string id = QueryValue(*conn_, "SELECT id FROM api_keys");
  ASSERT_THAT(RevokeKey(*pool_, id, {.actor = "dave"}), IsOk());
  EXPECT_EQ(*auth.Authenticate(first_key_), merchant_);  // still cached: no Sync yet
  ASSERT_THAT(auth.Sync(), IsOk());
  EXPECT_FALSE(*auth.Authenticate(first_key_));
}

TEST_F(ApiKeysTest, ARevocationByHandInPsqlIsSeenToo) {
  auto auth = Authenticator();
  ASSERT_THAT(auth.Sync(), IsOk());
  ASSERT_EQ(*auth.Authenticate(first_key_), merchant_);
  ASSERT_TRUE(conn_->Exec("UPDATE api_keys SET revoked_at = now()"));
  ASSERT_THAT(auth.Sync(), IsOk());
  EXPECT_FALSE(*auth.Authenticate(first_key_));
}

TEST_F(ApiKeysTest, WithoutARecentSyncTheCacheIsNotTrusted) {
  auto auth = Authenticator();  // never synced
  ASSERT_EQ(*auth.Authenticate(first_key_), merchant_);
  ASSERT_TRUE(conn_->Exec("UPDATE api_keys SET revoked_at = now()"));
  EXPECT_FALSE(*auth.Authenticate(first_key_));
  EXPECT_EQ(auth.stats().cache_hits, 0);
}

TEST_F(ApiKeysTest, AKeyOfTheOtherModeIsRefusedByName) {
  auto live = CreateKey(*pool_, merchant_, KeyMode::kLive, {.actor = "alice"});
  ASSERT_THAT(live, IsOk());
  auto test_side = Authenticator(KeyMode::kTest);
  auto refused = test_side.Authenticate(live->secret);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "api_key_mode_mismatch");
  EXPECT_EQ(HttpStatus(refused.error().kind), 401);
  EXPECT_NE(refused.error().message.find("test keys only"), std::string::npos);
  auto live_side = Authenticator(KeyMode::kLive);
  EXPECT_EQ(*live_side.Authenticate(live->secret), merchant_);
  auto test_key = live_side.Authenticate(first_key_);
  ASSERT_FALSE(test_key);
  EXPECT_EQ(test_key.error().code, "api_key_mode_mismatch");
  // Unknown keys stay unknown, whatever they start with.
  EXPECT_FALSE(*test_side.Authenticate("sk_live_" + std::string(32, 'A')));
  EXPECT_FALSE(*test_side.Authenticate("pk_test_abc"));
}

}  // namespace
}  // namespace payments::service
