// The zero-downtime lifecycle of `payments serve`, driven with real signals:
// graceful drain, shutdown limits, startup readiness, schema compatibility,
// liveness of the event loop, metrics and request ids.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cmath>
#include <thread>

#include "support/prometheus.h"
#include "support/service_fixture.h"

namespace payments::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

PromParse Metrics(int admin_port) {
  HttpClient admin(admin_port);
  auto r = admin.Get("/metrics");
  EXPECT_EQ(r.status, 200);
  auto parsed = ParsePrometheus(r.body);
  EXPECT_TRUE(parsed.errors.empty()) << parsed.errors.front();
  return parsed;
}

int Readyz(int admin_port) {
  HttpClient admin(admin_port, std::chrono::seconds(5));
  return admin.Get("/readyz").status;
}

class DrainTest : public ServiceTest {
 protected:
  Env ExtraEnv() override {
    return {{"PAYMENTS_DRAIN_DELAY", "1500"},
            {"PAYMENTS_SHUTDOWN_TIMEOUT", "20000"},
            {"PAYMENTS_SANDBOX_SLOW_LATENCY", "2500"}};
  }
};

TEST_F(DrainTest, SigtermLetsInFlightRequestsFinishAndClosesKeepAliveConnections) {
  constexpr int kSlow = 4;
  // Keep-alive connections that have already served a request.
  std::vector<std::unique_ptr<HttpClient>> slow_clients;
  for (int i = 0; i < kSlow; ++i) {
    slow_clients.push_back(std::make_unique<HttpClient>(service_->public_port()));
    ASSERT_EQ(slow_clients.back()->Get("/version").status, 200);
  }
  HttpClient idle(service_->public_port());
  ASSERT_EQ(idle.Get("/version").status, 200);
  ASSERT_TRUE(idle.connected());

  std::vector<HttpResponse> slow_results(kSlow);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSlow; ++i) {
    threads.emplace_back([&, i] {
      slow_results[i] =
          slow_clients[i]->Post("/v1/payments", PaymentBody(1000 + i, "usd", "4000000000000341"),
                                JsonHeaders(merchant_.key, "slow-" + std::to_string(i)));
    });
  }
  ASSERT_TRUE(Eventually(
      [&] {
        return Metrics(service_->admin_port())
                   .Value("payments_http_in_flight_requests", {{"listener", "public"}}) == kSlow;
      },
      std::chrono::seconds(10)));

  ASSERT_EQ(Readyz(service_->admin_port()), 200);
  const auto signalled = Clock::now();
  service_->Signal(SIGTERM);
  // Readiness turns at once.
  ASSERT_TRUE(
      Eventually([&] { return Readyz(service_->admin_port()) == 503; }, milliseconds(2000)));
  EXPECT_LT(Clock::now() - signalled, milliseconds(100));
  HttpClient admin(service_->admin_port());
  auto ready = admin.Get("/readyz");
  EXPECT_NE(ready.body.find("draining"), std::string::npos) << ready.body;
  EXPECT_EQ(admin.Get("/livez").status, 200);

  // During the drain delay the listener still accepts, and every response
  // says Connection: close.
  auto on_idle = idle.Get("/version");
  EXPECT_EQ(on_idle.status, 200);
  EXPECT_TRUE(on_idle.connection_closed);
  EXPECT_EQ(on_idle.Header("connection"), "close");
  HttpClient fresh(service_->public_port());
  auto on_fresh = fresh.Post("/v1/payments", PaymentBody(55), JsonHeaders(merchant_.key));
  EXPECT_EQ(on_fresh.status, 200) << on_fresh.body;
  EXPECT_TRUE(on_fresh.connection_closed);
  EXPECT_LT(Clock::now() - signalled, milliseconds(1500)) << "the checks above took too long";

  // After the drain delay new connections are refused.
  ASSERT_TRUE(Eventually(
      [&] {
        HttpClient late(service_->public_port(), milliseconds(500));
        return !late.Connect();
      },
      std::chrono::seconds(10)));
  EXPECT_GE(Clock::now() - signalled, milliseconds(1500));

  for (auto& t : threads) t.join();
  for (const HttpResponse& r : slow_results) {
    EXPECT_EQ(r.status, 200) << r.body << r.transport_error;
    EXPECT_TRUE(r.connection_closed);
  }
  EXPECT_EQ(service_->Wait(std::chrono::seconds(20)), 0);
  EXPECT_LT(Clock::now() - signalled, std::chrono::seconds(10));
  auto conn = db_.Connect();
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM payments"), std::to_string(kSlow + 1));
  EXPECT_EQ(service_->LogLines("stopped").size(), 1u);
}

class ShutdownLimitTest : public ServiceTest {
 protected:
  Env ExtraEnv() override {
    return {{"PAYMENTS_DRAIN_DELAY", "0"},
            {"PAYMENTS_SHUTDOWN_TIMEOUT", "300"},
            {"PAYMENTS_SANDBOX_SLOW_LATENCY", "5000"}};
  }
  void StartSlowRequest() {
    slow_ = std::thread([this] {
      HttpClient c(service_->public_port());
      c.Post("/v1/payments", PaymentBody(100, "usd", "4000000000000341"),
             JsonHeaders(merchant_.key));
    });
    ASSERT_TRUE(Eventually(
        [&] {
          return Metrics(service_->admin_port())
                     .Value("payments_http_in_flight_requests", {{"listener", "public"}}) == 1;
        },
        std::chrono::seconds(10)));
  }
  void TearDown() override {
    if (slow_.joinable()) slow_.join();
  }
  std::thread slow_;
};

TEST_F(ShutdownLimitTest, TheTimeoutEndsItWithANonZeroCodeNamingWhatWasCutOff) {
  StartSlowRequest();
  const auto signalled = Clock::now();
  service_->Signal(SIGTERM);
  const int code = service_->Wait(std::chrono::seconds(10));
  EXPECT_NE(code, 0);
  EXPECT_NE(code, -1);
  EXPECT_LT(Clock::now() - signalled, std::chrono::seconds(4));  // not the 5 s of the request
  auto cut = service_->LogLines("shutdown cut short");
  ASSERT_EQ(cut.size(), 1u) << service_->Logs();
  EXPECT_NE(cut[0].dump().find("POST /v1/payments"), std::string::npos) << cut[0].dump();
}

TEST_F(ShutdownLimitTest, ASecondSignalEndsItPromptly) {
  StartSlowRequest();
  service_->Signal(SIGTERM);
  ASSERT_TRUE(service_->WaitForLog("shutting down: draining", std::chrono::seconds(5)));
  service_->Signal(SIGTERM);
  EXPECT_EQ(service_->Wait(std::chrono::seconds(10)), 130);
  EXPECT_EQ(service_->LogLines("shutdown cut short").size(), 1u);
}

TEST(StartupTest, NotReadyAndNotListeningUntilTheDatabaseAnswers) {
  TestDatabase db;
  ASSERT_TRUE(db.Migrate());
  // A database that does not exist yet stands for one that is unreachable.
  const std::string url = db.conninfo() + "_later";
  auto service = ServiceProcess::Start({{"PAYMENTS_DATABASE_URL", url}},
                                       /*wait_until_listening=*/false);
  ASSERT_NE(service, nullptr);
  HttpClient admin(service->admin_port());
  auto ready = admin.Get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("database"), std::string::npos) << ready.body;
  EXPECT_EQ(admin.Get("/livez").status, 200);
  EXPECT_TRUE(service->LogLines("listening").empty());
  // Create it: the service gets ready by itself.
  auto conn = db.Connect();
  ASSERT_TRUE(conn->Exec("CREATE DATABASE " + db.name() + "_later TEMPLATE " + db.name()));
  ASSERT_TRUE(service->WaitForLog("listening", std::chrono::seconds(20)));
  EXPECT_EQ(admin.Get("/readyz").status, 200);
  service->Signal(SIGTERM);
  EXPECT_EQ(service->Wait(std::chrono::seconds(10)), 0);
  conn.reset();
  auto admin_conn = db::Connection::Open({.conninfo = AdminConnInfo()});
  ASSERT_TRUE(admin_conn);
  (void)(*admin_conn)->Exec("DROP DATABASE IF EXISTS " + db.name() + "_later WITH (FORCE)");
}

TEST(SchemaCompatibilityTest, ANewerContractMigrationKeepsTheInstanceUnready) {
  TestDatabase db;
  ASSERT_TRUE(db.Migrate());
  auto conn = db.Connect();
  ASSERT_TRUE(conn->Exec(
      "INSERT INTO schema_migrations (version, name, checksum, phase, applied_by, execution_ms, "
      "success) VALUES (9999, 'drop_old_column', 'x', 'contract', 'a newer release', 1, true)"));
  auto service = ServiceProcess::Start({{"PAYMENTS_DATABASE_URL", db.conninfo()}},
                                       /*wait_until_listening=*/false);
  ASSERT_NE(service, nullptr);
  HttpClient admin(service->admin_port());
  HttpResponse ready;
  ASSERT_TRUE(Eventually(
      [&] {
        ready = admin.Get("/readyz");
        return ready.body.find("9999") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << ready.body;
  EXPECT_EQ(ready.status, 503);
  bool schema_failing = false;
  const nlohmann::json body = ready.Json();
  for (const auto& check : body["failing"]) {
    schema_failing =
        schema_failing || (check["name"] == "schema" &&
                           check["detail"].get<std::string>().find("9999") != std::string::npos);
  }
  EXPECT_TRUE(schema_failing) << ready.body;
  EXPECT_TRUE(service->LogLines("listening").empty());
}

TEST(SchemaCompatibilityTest, AContractAppliedWhileRunningTurnsReadinessOff) {
  TestDatabase db;
  ASSERT_TRUE(db.Migrate());
  auto service = ServiceProcess::Start({{"PAYMENTS_DATABASE_URL", db.conninfo()}});
  ASSERT_NE(service, nullptr);
  ASSERT_EQ(Readyz(service->admin_port()), 200);
  auto conn = db.Connect();
  ASSERT_TRUE(conn->Exec(
      "INSERT INTO schema_migrations (version, name, checksum, phase, applied_by, execution_ms, "
      "success) VALUES (9999, 'drop_old_column', 'x', 'contract', 'a newer release', 1, true)"));
  EXPECT_TRUE(
      Eventually([&] { return Readyz(service->admin_port()) == 503; }, std::chrono::seconds(15)));
  // An unknown *expand* migration is fine: that is what makes a binary rollback safe.
  ASSERT_TRUE(conn->Exec("UPDATE schema_migrations SET phase = 'expand' WHERE version = 9999"));
  EXPECT_TRUE(
      Eventually([&] { return Readyz(service->admin_port()) == 200; }, std::chrono::seconds(15)));
}

class ProbeTest : public ServiceTest {
 protected:
  Env ExtraEnv() override {
    return {{"PAYMENTS_FAULT_INJECTION", "1"},
            {"PAYMENTS_LIVENESS_STALL", "300"},
            {"PAYMENTS_ADMIN_TOKEN", "probe-test-admin-token"}};
  }
};

TEST_F(ProbeTest, LivezFailsWhileTheEventLoopIsStuck) {
  HttpClient admin(service_->admin_port());
  ASSERT_EQ(admin.Get("/livez").status, 200);
  ASSERT_EQ(admin
                .Post("/admin/fault/stall-event-loop?ms=2000", "",
                      {{"Authorization", "Bearer probe-test-admin-token"}})
                .status,
            202);
  EXPECT_TRUE(
      Eventually([&] { return admin.Get("/livez").status == 503; }, std::chrono::seconds(2)));
  EXPECT_TRUE(
      Eventually([&] { return admin.Get("/livez").status == 200; }, std::chrono::seconds(5)));
}

// Handlers run on the event loop's threads while one of them stays free:
// requests slower than anything else, on more connections than the loop has
// threads, must leave it answering others and its tick on time.
// Requests the processor keeps waiting (the sandbox's slow card, 3 s) must
// not stop the event loops: more of them than there are I/O threads are in
// flight while /livez and other requests keep being answered.
class SlowRequestTest : public ServiceTest {
 protected:
  Env ExtraEnv() override {
    return {{"PAYMENTS_IO_THREADS", "2"},
            {"PAYMENTS_LIVENESS_STALL", "300"},
            {"PAYMENTS_SANDBOX_SLOW_LATENCY", "3000"}};
  }

  void ExpectSlowRequestsLeaveTheLoopsFree() {
    constexpr int kSlow = 6;
    std::vector<std::thread> threads;
    std::vector<HttpResponse> slow(kSlow);
    for (int i = 0; i < kSlow; ++i) {
      threads.emplace_back([&, i] {
        HttpClient c(service_->public_port(), std::chrono::seconds(10));
        slow[i] = c.Post("/v1/payments", PaymentBody(100, "usd", "4000000000000341"),
                         JsonHeaders(merchant_.key));
      });
    }
    auto in_flight = [&] {
      return Metrics(service_->admin_port())
          .Value("payments_http_in_flight_requests", {{"listener", "public"}});
    };
    EXPECT_TRUE(Eventually([&] { return in_flight() == kSlow; }, std::chrono::seconds(10)))
        << "the loops stopped reading requests while slow handlers ran";
    HttpClient admin(service_->admin_port());
    HttpClient quick(service_->public_port());
    // Twice the stall threshold, well inside the slow requests' 3 s.
    const auto until = Clock::now() + milliseconds(600);
    int answered = 0;
    while (Clock::now() < until) {
      EXPECT_EQ(admin.Get("/livez").status, 200);
      EXPECT_EQ(quick.Get("/version").status, 200);
      ++answered;
    }
    // The last quick request counts as in flight until the server's write of
    // it completes, which may come a moment after the client has read it
    // (seen under a loaded -j2 run: 7); the slow ones have seconds to go.
    EXPECT_TRUE(Eventually([&] { return in_flight() == kSlow; }, milliseconds(500)))
        << "the slow requests ended early: the check proved nothing";
    EXPECT_GT(answered, 0);
    for (auto& t : threads) t.join();
    for (const auto& r : slow) EXPECT_EQ(r.status, 200) << r.body << r.transport_error;
  }
};

// The default: handlers on fibers, which park on the event loop while the
// processor answers.
TEST_F(SlowRequestTest, OnFibersTheyParkAndLeaveEveryLoopFree) {
  ExpectSlowRequestsLeaveTheLoopsFree();
}

// The rollback setting: handlers on the worker pool.
class SlowRequestOnThreadsTest : public SlowRequestTest {
 protected:
  Env ExtraEnv() override {
    Env env = SlowRequestTest::ExtraEnv();
    env["PAYMENTS_HANDLERS"] = "threads";
    return env;
  }
};

TEST_F(SlowRequestOnThreadsTest, OnWorkerThreadsTheyLeaveEveryLoopFree) {
  ExpectSlowRequestsLeaveTheLoopsFree();
}

TEST_F(ProbeTest, ReadyzListsEveryCheckWhenVerbose) {
  HttpClient admin(service_->admin_port());
  auto r = admin.Get("/readyz?verbose");
  ASSERT_EQ(r.status, 200);
  const nlohmann::json body = r.Json();
  std::set<std::string> names;
  for (const auto& c : body["checks"]) names.insert(c["name"]);
  EXPECT_EQ(names, (std::set<std::string>{"database", "flags", "lifecycle", "schema", "workers"}));
  EXPECT_FALSE(admin.Get("/readyz").Json().contains("checks"));
}

TEST_F(ProbeTest, MetricsParseAndUseRouteTemplates) {
  const std::string id = Create(500).Json()["id"];
  ASSERT_EQ(GetAs("/v1/payments/" + id).status, 200);
  ASSERT_EQ(Create(500, "usd", "4000000000000002").status, 402);
  ASSERT_EQ(GetAs("/v1/nope").status, 404);
  const PromParse m = Metrics(service_->admin_port());
  for (const char* family :
       {"payments_http_requests_total", "payments_http_request_duration_seconds",
        "payments_http_in_flight_requests", "payments_http_open_connections",
        "payments_db_pool_connections", "payments_db_pool_waits_total",
        "payments_db_reconnects_total", "payments_payments_total", "process_resident_memory_bytes",
        "payments_uptime_seconds"}) {
    EXPECT_TRUE(m.Has(family)) << family;
  }
  EXPECT_EQ(m.Value("payments_http_requests_total",
                    {{"route", "/v1/payments/{id}"}, {"method", "GET"}, {"status", "200"}}),
            1);
  EXPECT_EQ(m.Value("payments_http_requests_total", {{"route", "unmatched"}, {"status", "404"}}),
            1);
  for (const auto& s : m.families.at("payments_http_requests_total").samples) {
    EXPECT_EQ(s.labels.at("route").find("pay_"), std::string::npos) << s.labels.at("route");
  }
  EXPECT_EQ(m.Value("payments_payments_total", {{"outcome", "captured"}}), 1);
  EXPECT_EQ(m.Value("payments_payments_total", {{"outcome", "failed"}}), 1);
  EXPECT_GT(m.Value("process_resident_memory_bytes"), 1e6);
  EXPECT_EQ(m.Value("payments_http_request_duration_seconds_count",
                    {{"route", "/v1/payments"}, {"method", "POST"}}),
            2);
}

TEST_F(ProbeTest, RequestIdsAreEchoedAndLogged) {
  auto r = client_->Get("/v1/payments", {{"Authorization", "Bearer " + merchant_.key},
                                         {"X-Request-Id", "trace-abc-123"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("x-request-id"), "trace-abc-123");
  auto generated = GetAs("/v1/payments");
  EXPECT_TRUE(generated.Header("x-request-id").starts_with("req_"));
  ASSERT_TRUE(Eventually(
      [&] {
        for (const auto& line : service_->LogLines("request")) {
          if (line.value("request_id", "") == "trace-abc-123") {
            return line.value("route", "") == "/v1/payments" &&
                   line.value("merchant_id", "") == merchant_.id &&
                   line.value("status", 0) == 200 && line.contains("duration_ms") &&
                   line.value("method", "") == "GET";
          }
        }
        return false;
      },
      std::chrono::seconds(5)))
      << service_->Logs();
}

}  // namespace
}  // namespace payments::testing
