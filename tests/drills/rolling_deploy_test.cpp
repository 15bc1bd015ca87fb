// Drill: a rolling deploy behind a real HAProxy under steady load. Each old
// instance is replaced by a new one the way an orchestrator does it: the new
// instance starts and is added to the load balancer, which admits it when its
// /readyz says 200; the old one gets SIGTERM, turns unready at once, keeps
// serving (with Connection: close) until the load balancer has noticed, then
// finishes its in-flight requests and exits 0. Not one request may fail.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "support/haproxy.h"
#include "support/service_fixture.h"

namespace payments::testing {
namespace {

using std::chrono::seconds;

TEST(RollingDeployDrill, ReplacesEveryInstanceUnderLoadWithoutAFailedRequest) {
  TestDatabase db;
  ASSERT_TRUE(db.Migrate());
  const TestMerchant m = CreateMerchant(db.conninfo());
  const Env env = {{"PAYMENTS_DATABASE_URL", db.conninfo()},
                   {"PAYMENTS_DRAIN_DELAY", "1000"},
                   {"PAYMENTS_SHUTDOWN_TIMEOUT", "10000"},
                   {"PAYMENTS_SANDBOX_LATENCY", "5"}};
  std::vector<std::unique_ptr<ServiceProcess>> old;
  old.push_back(ServiceProcess::Start(env));
  old.push_back(ServiceProcess::Start(env));
  ASSERT_NE(old[0], nullptr);
  ASSERT_NE(old[1], nullptr);
  Haproxy lb({{old[0]->public_port(), old[0]->admin_port()},
              {old[1]->public_port(), old[1]->admin_port()}},
             4);
  ASSERT_TRUE(lb.ok());
  ASSERT_TRUE(Eventually(
      [&] { return lb.ServerState("s1") == "UP" && lb.ServerState("s2") == "UP"; }, seconds(10)))
      << lb.Command("show stat");

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      HttpClient c(lb.port(), seconds(20));
      for (int i = 0; !stop; ++i) {
        auto r = c.Post("/v1/payments", PaymentBody(100 + i % 50),
                        JsonHeaders(m.key, "roll-" + std::to_string(t) + "-" + std::to_string(i)));
        if (r.status == 200) {
          ++ok;
        } else {
          std::lock_guard lock(mu);
          failures.push_back(std::to_string(r.status) + " " + r.body + r.transport_error);
        }
      }
    });
  }
  ASSERT_TRUE(Eventually([&] { return ok >= 50; }, seconds(20)));

  std::vector<std::unique_ptr<ServiceProcess>> fresh;
  const std::vector<std::pair<std::string, std::string>> slots = {{"s1", "s3"}, {"s2", "s4"}};
  for (size_t i = 0; i < 2; ++i) {
    fresh.push_back(ServiceProcess::Start(env));
    ASSERT_NE(fresh.back(), nullptr);
    ASSERT_TRUE(
        lb.SetServer(slots[i].second, {fresh.back()->public_port(), fresh.back()->admin_port()}));
    ASSERT_TRUE(Eventually([&] { return lb.ServerState(slots[i].second) == "UP"; }, seconds(10)));
    const int before = ok;
    old[i]->Signal(SIGTERM);
    EXPECT_TRUE(
        Eventually([&] { return lb.ServerState(slots[i].first).starts_with("DOWN"); }, seconds(5)));
    EXPECT_EQ(old[i]->Wait(std::chrono::milliseconds(20000)), 0) << old[i]->Logs();
    // The load kept flowing through the replacement.
    EXPECT_TRUE(Eventually([&] { return ok >= before + 20; }, seconds(10)));
  }
  const int after_roll = ok;
  ASSERT_TRUE(Eventually([&] { return ok >= after_roll + 50; }, seconds(20)));
  stop = true;
  for (auto& t : load) t.join();

  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();
  auto conn = db.Connect();
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM payments"), std::to_string(ok.load()));
  // The old instances drained: they served their last responses with Connection: close.
  for (const auto& o : old) {
    bool closed = false;
    for (const auto& line : o->LogLines("request")) closed = closed || line.contains("connection");
    EXPECT_TRUE(closed) << "no response during the drain carried Connection: close";
  }
}

}  // namespace
}  // namespace payments::testing
