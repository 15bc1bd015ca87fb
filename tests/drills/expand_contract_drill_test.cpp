// Drill: the expand/contract interlock with running instances of the real
// binary. An expand migration the binary does not know leaves it ready; a
// contract migration refuses to run while an instance built without it is
// alive, naming it, and runs once that instance has drained and deregistered;
// after the contract, that old binary refuses to become ready.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "support/service_fixture.h"

namespace payments::testing {
namespace {

namespace fs = std::filesystem;

int Readyz(const ServiceProcess& s) {
  HttpClient admin(s.admin_port(), std::chrono::seconds(5));
  return admin.Get("/readyz").status;
}

TEST(ExpandContractDrill, AContractWaitsForEveryInstanceToRunARelease) {
  TestDatabase db;
  ASSERT_TRUE(db.Migrate());
  // The next release's migrations: the shipped ones plus an expand and a contract.
  char tmpl[] = "/tmp/payments-release-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  for (const auto& f : fs::directory_iterator(std::string(PAYMENTS_SOURCE_DIR) + "/migrations")) {
    fs::copy_file(f.path(), dir + "/" + f.path().filename().string());
  }
  std::ofstream(dir + "/9000_add_probe.sql")
      << "-- migrate:phase expand\nCREATE TABLE release_probe (id bigint PRIMARY KEY);\n";
  std::ofstream(dir + "/9001_drop_probe.sql")
      << "-- migrate:phase contract\nDROP TABLE release_probe;\n";
  const Env env = {{"PAYMENTS_DATABASE_URL", db.conninfo()}};
  auto migrate = [&](const std::string& phase) {
    return RunPayments({"migrate", "up", "--phase", phase, "--dir", dir}, env);
  };

  auto old_release = ServiceProcess::Start(env);
  ASSERT_NE(old_release, nullptr);
  const auto registered = old_release->LogLines("instance registered");
  ASSERT_EQ(registered.size(), 1u);
  const std::string instance = registered[0].value("instance", "");

  auto expand = migrate("expand");
  ASSERT_EQ(expand.exit_code, 0) << expand.out << expand.err;
  // An unknown expand migration is fine for the running binary.
  EXPECT_TRUE(Eventually([&] { return Readyz(*old_release) == 200; }, std::chrono::seconds(5)));

  auto refused = migrate("contract");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE((refused.out + refused.err).find(instance), std::string::npos)
      << refused.out << refused.err;
  auto conn = db.Connect();
  EXPECT_EQ(QueryValue(*conn, "SELECT to_regclass('release_probe') IS NOT NULL"), "t");

  // The old release drains and deregisters; now the contract may run.
  old_release->Signal(SIGTERM);
  ASSERT_EQ(old_release->Wait(std::chrono::seconds(30)), 0);
  auto contract = migrate("contract");
  ASSERT_EQ(contract.exit_code, 0) << contract.out << contract.err;
  EXPECT_EQ(QueryValue(*conn, "SELECT to_regclass('release_probe') IS NULL"), "t");

  // Rolling the old binary back past a contract is refused by its readiness.
  auto rolled_back = ServiceProcess::Start(env, /*wait_until_listening=*/false);
  ASSERT_NE(rolled_back, nullptr);
  HttpClient admin(rolled_back->admin_port());
  HttpResponse ready;
  EXPECT_TRUE(Eventually(
      [&] {
        ready = admin.Get("/readyz");
        return ready.body.find("9001") != std::string::npos;
      },
      std::chrono::seconds(10)));
  EXPECT_EQ(ready.status, 503);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace payments::testing
