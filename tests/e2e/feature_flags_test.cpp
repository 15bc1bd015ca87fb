// Feature flags in running instances: a change reaches every instance within
// a second, and the processor kill switch stops processor calls at once.
#include <gtest/gtest.h>

#include "support/prometheus.h"
#include "support/service_fixture.h"

namespace payments::testing {
namespace {

using Clock = std::chrono::steady_clock;

double ProcessorCalls(const ServiceProcess& s) {
  HttpClient admin(s.admin_port());
  const PromParse m = ParsePrometheus(admin.Get("/metrics").body);
  const double v = m.Value("payments_processor_calls_total", {{"operation", "authorize"}});
  return std::isnan(v) ? 0 : v;
}

class FeatureFlagsTest : public ServiceTest {
 protected:
  Env ExtraEnv() override {
    return {{"PAYMENTS_ADMIN_TOKEN", "admin-secret-token"},
            {"PAYMENTS_FLAGS_POLL_INTERVAL", "60000"}};  // changes must arrive by NOTIFY
  }
  CommandResult Flags(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"flags"};
    all.insert(all.end(), args.begin(), args.end());
    return RunPayments(all, {{"PAYMENTS_DATABASE_URL", db_.conninfo()}});
  }
};

TEST_F(FeatureFlagsTest, TheKillSwitchStopsProcessorCallsAndTheRestoreResumesThem) {
  ASSERT_EQ(Create(100).status, 200);
  const double calls_before = ProcessorCalls(*service_);
  EXPECT_EQ(calls_before, 1);
  auto off = Flags({"set", "processor.sandbox.enabled", "--off", "--reason", "drill"});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  // Until the change arrives payments still go through; the first refused
  // one must not have reached the processor or the database.
  auto conn = db_.Connect();
  HttpResponse refused;
  double calls_at_refusal = 0;
  std::string payments_at_refusal;
  ASSERT_TRUE(Eventually(
      [&] {
        calls_at_refusal = ProcessorCalls(*service_);
        payments_at_refusal = QueryValue(*conn, "SELECT count(*) FROM payments");
        refused = Create(100);
        return refused.status == 503;
      },
      std::chrono::seconds(2)));
  EXPECT_EQ(refused.Json()["error"]["code"], "processor_disabled");
  EXPECT_EQ(refused.Json()["error"]["type"], "api_error");
  EXPECT_FALSE(refused.Header("retry-after").empty());
  EXPECT_EQ(ProcessorCalls(*service_), calls_at_refusal)
      << "a refused payment reached the processor";
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM payments"), payments_at_refusal);
  // Other operations on existing payments are not the kill switch's business
  // (captures of authorized payments must still settle) — but new payments are.
  ASSERT_EQ(Flags({"set", "processor.sandbox.enabled", "--on", "--reason", "resolved"}).exit_code,
            0);
  ASSERT_TRUE(Eventually([&] { return Create(100).status == 200; }, std::chrono::seconds(2)));
}

TEST_F(FeatureFlagsTest, AChangeReachesEveryRunningInstanceWithinASecond) {
  auto second = ServiceProcess::Start(
      {{"PAYMENTS_DATABASE_URL", db_.conninfo()}, {"PAYMENTS_FLAGS_POLL_INTERVAL", "60000"}});
  ASSERT_NE(second, nullptr);
  HttpClient c2(second->public_port());
  ASSERT_EQ(c2.Post("/v1/payments", PaymentBody(100), JsonHeaders(merchant_.key)).status, 200);
  ASSERT_EQ(Flags({"set", "processor.sandbox.enabled", "--off", "--reason", "drill"}).exit_code, 0);
  const auto changed = Clock::now();
  bool first_off = false;
  bool second_off = false;
  ASSERT_TRUE(Eventually(
      [&] {
        first_off = first_off || Create(100).status == 503;
        second_off =
            second_off ||
            c2.Post("/v1/payments", PaymentBody(100), JsonHeaders(merchant_.key)).status == 503;
        return first_off && second_off;
      },
      std::chrono::seconds(5)));
  EXPECT_LT(Clock::now() - changed, std::chrono::seconds(1));
}

TEST_F(FeatureFlagsTest, TheAdminApiIsGuardedByItsToken) {
  HttpClient admin(service_->admin_port());
  EXPECT_EQ(admin.Get("/admin/flags").status, 401);
  EXPECT_EQ(admin.Get("/admin/flags", {{"Authorization", "Bearer wrong"}}).status, 401);
  const Headers auth = {{"Authorization", "Bearer admin-secret-token"},
                        {"Content-Type", "application/json"}};
  auto put =
      admin.Request("PUT", "/admin/flags/processor.sandbox.enabled",
                    R"({"definition":{"type":"boolean","rule":"off"},"reason":"api drill"})", auth);
  ASSERT_EQ(put.status, 200) << put.body;
  ASSERT_TRUE(Eventually([&] { return Create(100).status == 503; }, std::chrono::seconds(2)));
  auto bad =
      admin.Request("PUT", "/admin/flags/processor.sandbox.enabled",
                    R"({"definition":{"type":"boolean","rule":"sometimes"},"reason":"x"})", auth);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(admin
                .Request("DELETE", "/admin/flags/processor.sandbox.enabled",
                         R"({"reason":"drill over"})", auth)
                .status,
            200);
  ASSERT_TRUE(Eventually([&] { return Create(100).status == 200; }, std::chrono::seconds(2)));
}

TEST(FeatureFlagsOffTest, WithoutATokenTheAdminApiIsOff) {
  TestDatabase db;
  ASSERT_TRUE(db.Migrate());
  auto service = ServiceProcess::Start({{"PAYMENTS_DATABASE_URL", db.conninfo()}});
  ASSERT_NE(service, nullptr);
  HttpClient admin(service->admin_port());
  EXPECT_EQ(admin.Get("/admin/flags", {{"Authorization", "Bearer x"}}).status, 404);
}

}  // namespace
}  // namespace payments::testing
