// The embedded default: no PAYMENTS_DATABASE_URL means a private PostgreSQL
// under the data directory, migrated, with a demo merchant whose key is
// printed. A second run reuses the cluster and the data; SIGINT stops the
// service and its PostgreSQL.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <regex>

#include "serve/embedded_postgres.h"
#include "support/http_client.h"
#include "support/service_fixture.h"
#include "support/service_process.h"

namespace payments::testing {
namespace {

std::string DemoKey(const std::string& logs) {
  std::smatch m;
  static const std::regex kKey("secret key (sk_test_[A-Za-z0-9]+)");
  return std::regex_search(logs, m, kKey) ? m[1].str() : "";
}

TEST(EmbeddedDefaultTest, StartsItsOwnDatabaseAndKeepsItAcrossRuns) {
  char tmpl[] = "/tmp/payments-embedded-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  chmod(dir.c_str(), 0755);
  // The whole default: its own database and its own (child) sandbox processor.
  const Env env = {{"PAYMENTS_DATABASE_URL", ""},
                   {"PAYMENTS_DATA_DIR", dir + "/var"},
                   {"PAYMENTS_PROCESSOR_URL", ""}};

  auto first = ServiceProcess::Start(env);
  ASSERT_NE(first, nullptr);
  const std::string key = DemoKey(first->Logs());
  ASSERT_FALSE(key.empty()) << first->Logs();
  HttpClient c(first->public_port());
  auto paid = c.Post("/v1/payments", PaymentBody(1099), JsonHeaders(key, "embedded-1"));
  ASSERT_EQ(paid.status, 200) << paid.body;
  const std::string id = paid.Json()["id"];
  first->Signal(SIGINT);
  EXPECT_EQ(first->Wait(std::chrono::seconds(30)), 0);
  serve::EmbeddedPostgres pg({.data_dir = dir + "/var/pgdata",
                              .socket_dir = dir + "/var/run",
                              .port = 5432,
                              .settings = {}});
  EXPECT_FALSE(pg.IsRunning()) << "Ctrl-C must stop the embedded PostgreSQL too";

  auto second = ServiceProcess::Start(env);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(DemoKey(second->Logs()), key);
  HttpClient c2(second->public_port());
  auto again = c2.Get("/v1/payments/" + id, {{"Authorization", "Bearer " + key}});
  EXPECT_EQ(again.status, 200) << again.body;
  second->Signal(SIGTERM);
  EXPECT_EQ(second->Wait(std::chrono::seconds(30)), 0);
  EXPECT_FALSE(pg.IsRunning());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace payments::testing
