#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>

#include "flags/definition_json.h"
#include "flags/known_flags.h"
#include "migrate/migrator.h"
#include "serve/embedded_postgres.h"
#include "serve/flag_refresher.h"
#include "store/flag_store.h"
#include "support/test_database.h"

namespace payments::serve {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::TestDatabase;

const flags::BoolFlag& kSandbox = flags::known::kProcessorSandboxEnabled;

// Polls `condition` until it holds or `timeout` passes; returns how long it took.
std::optional<milliseconds> WaitFor(const std::function<bool()>& condition, milliseconds timeout) {
  const auto start = steady_clock::now();
  const auto deadline = start + timeout;
  while (true) {
    if (condition()) {
      return std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
    }
    if (steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(milliseconds(1));  // polling interval, not a wait for an event
  }
}

bool SandboxOn(const FlagRefresher& r, std::string_view merchant = "mer_1") {
  return flags::Evaluate(*r.snapshot(), kSandbox, {.merchant_id = merchant}).value;
}

payments::Status SetFlag(db::Pool& pool, std::string_view key, std::string_view json,
                         std::string reason = "test") {
  auto r = store::PutFlag(
      pool, key,
      [json](const std::optional<store::StoredFlag>&) { return flags::ParseDefinitionText(json); },
      {"test", std::move(reason)});
  if (!r) return std::unexpected(r.error());
  return {};
}

FlagRefresherOptions Options(const std::string& conninfo, std::string application_name) {
  FlagRefresherOptions o;
  o.connect.conninfo = conninfo;
  o.connect.application_name = std::move(application_name);
  o.poll_interval = std::chrono::seconds(60);  // only notifications can be fast enough
  o.reconnect_initial = milliseconds(20);
  o.reconnect_max = milliseconds(200);
  return o;
}

db::PoolOptions PoolFor(const std::string& conninfo) {
  db::PoolOptions o;
  o.connect.conninfo = conninfo;
  o.size = 2;
  return o;
}

class FlagRefresherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.Migrate());
    admin_ = db_.Connect();
    ASSERT_NE(admin_, nullptr);
  }
  TestDatabase db_;
  std::unique_ptr<db::Connection> admin_;
};

TEST_F(FlagRefresherTest, TwoInstancesSeeEveryChangeWithinOneSecond) {
  db::Pool pool(PoolFor(db_.conninfo()));
  FlagRefresher a(Options(db_.conninfo(), "flags instance a"));
  FlagRefresher b(Options(db_.conninfo(), "flags instance b"));
  a.Start();
  b.Start();
  ASSERT_TRUE(a.WaitUntilLoaded(std::chrono::seconds(5)));
  ASSERT_TRUE(b.WaitUntilLoaded(std::chrono::seconds(5)));
  EXPECT_TRUE(SandboxOn(a));  // the compiled default: nothing stored yet

  // Off, on again, then on for an allow list only: each change must reach
  // both instances within a second.
  struct Step {
    const char* json;
    bool expected;
  } steps[] = {
      {R"({"type":"boolean","rule":"off"})", false},
      {R"({"type":"boolean","rule":"on"})", true},
      {R"({"type":"boolean","rule":"off","allow":["mer_2"]})", false},
  };
  for (const Step& step : steps) {
    ASSERT_TRUE(SetFlag(pool, kSandbox.key, step.json));
    auto delay =
        WaitFor([&] { return SandboxOn(a) == step.expected && SandboxOn(b) == step.expected; },
                std::chrono::seconds(1));
    ASSERT_TRUE(delay) << "a change did not reach both instances within 1 s: " << step.json;
    RecordProperty(std::string("propagation_ms_") + std::to_string(&step - steps),
                   static_cast<int>(delay->count()));
  }
  EXPECT_TRUE(SandboxOn(a, "mer_2"));
  EXPECT_TRUE(a.Health().listening);
  EXPECT_GE(a.Health().refreshes, 4);
  a.Stop();
  b.Stop();
  EXPECT_FALSE(a.Health().running);
}

TEST_F(FlagRefresherTest, PollingPicksUpChangesWhoseNotificationWasLost) {
  db::Pool pool(PoolFor(db_.conninfo()));
  FlagRefresherOptions o = Options(db_.conninfo(), "flags polling");
  o.poll_interval = milliseconds(200);
  FlagRefresher r(o);
  r.Start();
  ASSERT_TRUE(r.WaitUntilLoaded(std::chrono::seconds(5)));
  ASSERT_TRUE(admin_->Exec("ALTER TABLE feature_flags DISABLE TRIGGER feature_flags_changed"));
  ASSERT_TRUE(SetFlag(pool, kSandbox.key, R"({"type":"boolean","rule":"off"})"));
  EXPECT_TRUE(WaitFor([&] { return !SandboxOn(r); }, std::chrono::seconds(5)));
}

TEST_F(FlagRefresherTest, AnUnreadableTableKeepsTheLastSnapshotInForce) {
  db::Pool pool(PoolFor(db_.conninfo()));
  ASSERT_TRUE(SetFlag(pool, kSandbox.key, R"({"type":"boolean","rule":"off"})"));
  FlagRefresher r(Options(db_.conninfo(), "flags unreadable"));
  r.Start();
  ASSERT_TRUE(r.WaitUntilLoaded(std::chrono::seconds(5)));
  ASSERT_FALSE(SandboxOn(r));
  const auto loaded_at = r.Health().last_refresh;

  ASSERT_TRUE(admin_->Exec("ALTER TABLE feature_flags RENAME TO feature_flags_away"));
  r.RefreshSoon();
  ASSERT_TRUE(WaitFor([&] { return r.Health().failures > 0; }, std::chrono::seconds(5)));
  FlagRefresherHealth h = r.Health();
  EXPECT_NE(h.last_error.find("feature_flags"), std::string::npos) << h.last_error;
  EXPECT_TRUE(h.loaded);
  EXPECT_TRUE(h.running);
  EXPECT_EQ(h.last_refresh, loaded_at);
  // Still the stored rule, not the compiled default (which is on).
  flags::Evaluation<bool> e = r.Evaluate(kSandbox, {.merchant_id = "mer_1"});
  EXPECT_FALSE(e.value);
  EXPECT_EQ(e.reason, flags::Reason::kRule);

  ASSERT_TRUE(admin_->Exec("ALTER TABLE feature_flags_away RENAME TO feature_flags"));
  r.RefreshSoon();
  EXPECT_TRUE(WaitFor([&] { return r.Health().last_error.empty(); }, std::chrono::seconds(5)));
}

TEST_F(FlagRefresherTest, ANeverReachableDatabaseMeansCompiledDefaults) {
  FlagRefresher r(Options("host=/nonexistent-socket-dir port=1 dbname=x", "flags unreachable"));
  r.Start();
  ASSERT_TRUE(WaitFor([&] { return r.Health().failures >= 2; }, std::chrono::seconds(5)));
  FlagRefresherHealth h = r.Health();
  EXPECT_TRUE(h.running);
  EXPECT_FALSE(h.loaded);
  EXPECT_FALSE(h.listening);
  EXPECT_FALSE(h.last_refresh);
  EXPECT_NE(h.last_error.find("connect"), std::string::npos);
  flags::Evaluation<bool> e = r.Evaluate(kSandbox, {.merchant_id = "mer_1"});
  EXPECT_TRUE(e.value);
  EXPECT_EQ(e.reason, flags::Reason::kDefault);
  EXPECT_FALSE(r.WaitUntilLoaded(milliseconds(50)));
  r.Stop();
  EXPECT_FALSE(r.Health().running);
}

TEST_F(FlagRefresherTest, ReconnectsWhenItsConnectionIsKilled) {
  db::Pool pool(PoolFor(db_.conninfo()));
  FlagRefresher r(Options(db_.conninfo(), "flags killed"));
  r.Start();
  ASSERT_TRUE(r.WaitUntilLoaded(std::chrono::seconds(5)));
  ASSERT_TRUE(admin_->Exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
      "'flags killed'"));
  ASSERT_TRUE(WaitFor([&] { return r.Health().failures > 0; }, std::chrono::seconds(5)));
  ASSERT_TRUE(SetFlag(pool, kSandbox.key, R"({"type":"boolean","rule":"off"})"));
  EXPECT_TRUE(WaitFor([&] { return !SandboxOn(r); }, std::chrono::seconds(5)));
  EXPECT_TRUE(r.Health().listening);
}

TEST_F(FlagRefresherTest, ReportsReadinessAndMetrics) {
  db::Pool pool(PoolFor(db_.conninfo()));
  ASSERT_TRUE(SetFlag(pool, kSandbox.key, R"({"type":"boolean","rule":"off","allow":["mer_a"]})"));
  FlagRefresher r(Options(db_.conninfo(), "flags reported"));
  Health health;
  telemetry::Metrics metrics;
  ReportFlags(r, health, metrics);
  auto flags_check = [&] {
    for (const Health::Check& c : health.Checks()) {
      if (c.name == "flags") return c;
    }
    return Health::Check{"missing", false, ""};
  };
  EXPECT_FALSE(flags_check().ok);  // not started
  r.Start();
  ASSERT_TRUE(r.WaitUntilLoaded(std::chrono::seconds(5)));
  EXPECT_TRUE(flags_check().ok);
  EXPECT_NE(flags_check().detail.find("1 stored flags"), std::string::npos) << flags_check().detail;
  for (const char* merchant : {"mer_a", "mer_b", "mer_c"})
    r.Evaluate(kSandbox, {.merchant_id = merchant});
  const std::string text = metrics.Render();
  EXPECT_NE(
      text.find(
          R"(payments_flag_evaluations_total{flag="processor.sandbox.enabled",value="false"} 2)"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          R"(payments_flag_evaluations_total{flag="processor.sandbox.enabled",value="true"} 1)"),
      std::string::npos);
  EXPECT_NE(text.find("payments_flags_loaded 1"), std::string::npos);
  r.Stop();
  EXPECT_FALSE(flags_check().ok);
}

// A server of our own, to stop and start under a running refresher.
class PrivateServer {
 public:
  PrivateServer() {
    char tmpl[] = "/tmp/payments-flags-XXXXXX";
    const char* dir = mkdtemp(tmpl);
    if (dir == nullptr) return;
    dir_ = dir;
    chmod(dir, 0755);
    pg_ = std::make_unique<EmbeddedPostgres>(EmbeddedPostgresOptions{
        .data_dir = dir_ + "/data", .socket_dir = dir_ + "/run", .port = 5432, .settings = {}});
  }
  ~PrivateServer() {
    if (pg_) (void)pg_->Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  EmbeddedPostgres& pg() { return *pg_; }

 private:
  std::string dir_;
  std::unique_ptr<EmbeddedPostgres> pg_;
};

TEST(FlagRefresherOutageTest, ADatabaseOutageKeepsTheLastSnapshotAndRecoversAfter) {
  PrivateServer server;
  ASSERT_TRUE(server.pg().Start());
  ASSERT_TRUE(server.pg().EnsureDatabase("payments"));
  const std::string url = server.pg().ConnInfo("payments");
  {
    auto conn = db::Connection::Open({.conninfo = url});
    ASSERT_TRUE(conn);
    auto migrations = migrate::LoadEmbeddedMigrations();
    ASSERT_TRUE(migrations);
    migrate::Migrator m(**conn, std::move(*migrations), {});
    ASSERT_TRUE(m.Up({}));
  }
  db::Pool pool(PoolFor(url));
  ASSERT_TRUE(SetFlag(pool, kSandbox.key, R"({"type":"boolean","rule":"off","allow":["mer_a"]})"));

  FlagRefresher r(Options(url, "flags outage"));
  r.Start();
  ASSERT_TRUE(r.WaitUntilLoaded(std::chrono::seconds(5)));
  ASSERT_FALSE(SandboxOn(r));

  ASSERT_TRUE(server.pg().Stop());
  ASSERT_TRUE(WaitFor([&] { return !r.Health().listening && r.Health().failures > 0; },
                      std::chrono::seconds(5)));
  // Down: the stored rule stays in force, allow list and all.
  EXPECT_FALSE(SandboxOn(r));
  EXPECT_TRUE(SandboxOn(r, "mer_a"));
  EXPECT_EQ(r.Evaluate(kSandbox, {.merchant_id = "mer_1"}).reason, flags::Reason::kRule);
  EXPECT_TRUE(r.Health().running);

  ASSERT_TRUE(server.pg().Start());
  ASSERT_TRUE(WaitFor([&] { return r.Health().listening; }, std::chrono::seconds(10)));
  ASSERT_TRUE(SetFlag(pool, kSandbox.key, R"({"type":"boolean","rule":"on"})"));
  EXPECT_TRUE(WaitFor([&] { return SandboxOn(r); }, std::chrono::seconds(5)));
  r.Stop();
}

}  // namespace
}  // namespace payments::serve
