// PostgreSQL stopped for five seconds under steady load, then started again:
// meanwhile requests fail fast with 503 and readiness is 503 while liveness
// stays 200; afterwards the service recovers by itself; every acknowledged
// payment is in the database exactly once, and every client that retried
// with its Idempotency-Key got exactly one payment.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "serve/embedded_postgres.h"
#include "support/service_fixture.h"

namespace payments::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class PrivateCluster {
 public:
  PrivateCluster() {
    char tmpl[] = "/tmp/payments-outage-XXXXXX";
    dir_ = mkdtemp(tmpl);
    chmod(dir_.c_str(), 0755);
    pg_ = std::make_unique<serve::EmbeddedPostgres>(serve::EmbeddedPostgresOptions{
        .data_dir = dir_ + "/data", .socket_dir = dir_ + "/run", .port = 5432, .settings = {}});
  }
  ~PrivateCluster() {
    (void)pg_->Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  serve::EmbeddedPostgres& pg() { return *pg_; }

 private:
  std::string dir_;
  std::unique_ptr<serve::EmbeddedPostgres> pg_;
};

struct Outcome {
  std::string key;
  std::string payment_id;  // empty until acknowledged
};

TEST(DatabaseOutageTest, FailsFastDuringTheOutageAndRecoversByItself) {
  PrivateCluster cluster;
  ASSERT_TRUE(cluster.pg().Start());
  ASSERT_TRUE(cluster.pg().EnsureDatabase("payments"));
  const std::string url = cluster.pg().ConnInfo("payments");
  ASSERT_EQ(RunPayments({"migrate", "up"}, {{"PAYMENTS_DATABASE_URL", url}}).exit_code, 0);
  const TestMerchant m = CreateMerchant(url);
  auto service =
      ServiceProcess::Start({{"PAYMENTS_DATABASE_URL", url},
                             {"PAYMENTS_IDEMPOTENCY_LOCK", "1500"},
                             // Reconciliation's first look at a payment whose answer the outage
                             // kept from being recorded: 3 × (0.2 + 2 × 1) + 0.5 = 7.1 s after it.
                             {"PAYMENTS_PROCESSOR_TIMEOUT", "1000"},
                             {"PAYMENTS_PROCESSOR_CONNECT_TIMEOUT", "200"},
                             {"PAYMENTS_RECONCILE_INTERVAL", "200"}});
  ASSERT_NE(service, nullptr);

  std::atomic<bool> stop{false};
  std::atomic<bool> outage{false};
  std::mutex mu;
  std::vector<Outcome> outcomes;
  std::vector<double> slowest_503_ms(4, 0);
  std::vector<int> count_503(4, 0);
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      HttpClient c(service->public_port(), std::chrono::seconds(10));
      for (int i = 0; !stop; ++i) {
        Outcome o{"k-" + std::to_string(t) + "-" + std::to_string(i), ""};
        // The client retries its key until it gets an answer that is final,
        // even after `stop`: a key is never abandoned half way.
        const auto give_up = Clock::now() + std::chrono::seconds(30);
        while (o.payment_id.empty()) {
          if (Clock::now() > give_up) {
            ADD_FAILURE() << "key " << o.key << " never got a final answer";
            return;
          }
          const auto start = Clock::now();
          auto r = c.Post("/v1/payments", PaymentBody(100 + t), JsonHeaders(m.key, o.key));
          const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
          if (r.status == 200) {
            o.payment_id = r.Json()["id"];
          } else if (r.status == 503) {
            EXPECT_FALSE(r.Header("retry-after").empty());
            slowest_503_ms[t] = std::max(slowest_503_ms[t], ms);
            ++count_503[t];
            std::this_thread::sleep_for(milliseconds(20));  // client back-off
          } else if (r.status == 409) {
            std::this_thread::sleep_for(milliseconds(50));  // a stuck claim, expiring
          } else if (r.status == 402) {
            // An intent whose COMMIT's answer the outage cut off: the request
            // said 503 without calling the processor, the intent had in fact
            // committed, and reconciliation found the processor never got
            // the call — a failed payment, nothing charged, final.
            EXPECT_EQ(r.Json()["error"]["code"], "processor_no_record") << r.body;
            o.payment_id = r.Json()["error"]["payment"]["id"];
          } else if (r.status == 202) {
            // The intent committed and the answer could not be: the payment
            // is processing until reconciliation records the answer, which
            // the same key then replays (docs/payment-states.md).
            EXPECT_EQ(r.Json()["status"], "processing");
            std::this_thread::sleep_for(milliseconds(100));
          } else {
            ADD_FAILURE() << "unexpected answer " << r.status << " " << r.body << r.transport_error;
            return;
          }
        }
        std::lock_guard lock(mu);
        outcomes.push_back(o);
      }
    });
  }
  HttpClient admin(service->admin_port());
  auto acknowledged = [&] {
    std::lock_guard lock(mu);
    return outcomes.size();
  };
  ASSERT_TRUE(Eventually([&] { return acknowledged() >= 20; }, std::chrono::seconds(20)));

  // The outage.
  ASSERT_TRUE(cluster.pg().Stop());
  outage = true;
  const auto down_at = Clock::now();
  EXPECT_TRUE(
      Eventually([&] { return admin.Get("/readyz").status == 503; }, std::chrono::seconds(3)));
  const size_t during_start = acknowledged();
  int livez_failures = 0;
  while (Clock::now() - down_at < std::chrono::seconds(5)) {
    if (admin.Get("/livez").status != 200) ++livez_failures;
    EXPECT_EQ(admin.Get("/readyz").status, 503);
    std::this_thread::sleep_for(milliseconds(200));
  }
  EXPECT_EQ(livez_failures, 0);
  EXPECT_EQ(acknowledged(), during_start) << "nothing can be acknowledged without a database";
  ASSERT_TRUE(cluster.pg().Start());

  // Recovery without a restart.
  EXPECT_TRUE(
      Eventually([&] { return admin.Get("/readyz").status == 200; }, std::chrono::seconds(10)));
  EXPECT_TRUE(
      Eventually([&] { return acknowledged() >= during_start + 20; }, std::chrono::seconds(20)));
  stop = true;
  for (auto& c : clients) c.join();

  int total_503 = 0;
  for (int t = 0; t < 4; ++t) {
    total_503 += count_503[t];
    EXPECT_LT(slowest_503_ms[t], 1000) << "a 503 took " << slowest_503_ms[t] << " ms";
  }
  EXPECT_GT(total_503, 0) << "the outage was not noticed";

  auto conn = db::Connection::Open({.conninfo = url});
  ASSERT_TRUE(conn);
  std::set<std::string> ids;
  for (const Outcome& o : outcomes) {
    EXPECT_TRUE(ids.insert(o.payment_id).second) << "two keys got one payment";
    EXPECT_EQ(QueryValue(**conn, "SELECT count(*) FROM payments WHERE id = '" + o.payment_id + "'"),
              "1");
  }
  // Exactly one payment per key: no payment exists that no client was told of,
  // except for keys still in flight when the clients stopped (none: they stop
  // only between keys).
  EXPECT_EQ(QueryValue(**conn, "SELECT count(*) FROM payments"), std::to_string(outcomes.size()));
  auto metrics = admin.Get("/metrics");
  EXPECT_NE(metrics.body.find("payments_db_reconnects_total"), std::string::npos);
  service->Signal(SIGTERM);
  EXPECT_EQ(service->Wait(std::chrono::seconds(20)), 0);
}

}  // namespace
}  // namespace payments::testing
