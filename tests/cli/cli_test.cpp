// The command line: usage errors are one line and exit code 2 and change
// nothing; the merchant and version commands do what they say.
#include <gtest/gtest.h>

#include "migrate/migration.h"
#include "support/service_process.h"
#include "support/test_database.h"

namespace payments::testing {
namespace {

int Lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

void ExpectUsageError(const CommandResult& r, const std::string& mentions) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(Lines(r.err), 1) << r.err;
  EXPECT_TRUE(r.err.starts_with("payments: error: ")) << r.err;
  EXPECT_NE(r.err.find(mentions), std::string::npos) << r.err;
}

TEST(CliTest, UnknownOptionsAndBadValuesFailAtStartWithOneLine) {
  ExpectUsageError(RunPayments({"serve", "--no-such-option"}), "--no-such-option");
  ExpectUsageError(RunPayments({"serve", "--db-pool-size", "0"}), "db-pool-size");
  ExpectUsageError(RunPayments({"serve", "--db-pool-size", "many"}), "db-pool-size");
  ExpectUsageError(RunPayments({"serve", "--listen", "nonsense"}), "nonsense");
  ExpectUsageError(RunPayments({"serve", "--log-level", "loud"}), "log-level");
  ExpectUsageError(RunPayments({"serve"}, {{"PAYMENTS_DRAIN_DELAY", "-5"}}), "drain-delay");
  ExpectUsageError(RunPayments({"serve"}, {{"PAYMENTS_WORKERS", "lots"}}), "workers");
  ExpectUsageError(RunPayments({"frobnicate"}), "frobnicate");
  ExpectUsageError(RunPayments({"merchants", "create"}), "--name");
}

TEST(CliTest, MerchantsCreateAndList) {
  TestDatabase db;
  ASSERT_TRUE(db.Migrate());
  const Env env = {{"PAYMENTS_DATABASE_URL", db.conninfo()}};
  auto created = RunPayments({"merchants", "create", "--name", "Acme Shoes"}, env);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_NE(created.out.find("mer_"), std::string::npos);
  const size_t key_at = created.out.find("sk_test_");
  ASSERT_NE(key_at, std::string::npos);
  const std::string key = created.out.substr(key_at, 8 + 32);
  RecordSecretForLogScan(key);
  auto list = RunPayments({"merchants", "list"}, env);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("Acme Shoes"), std::string::npos);
  EXPECT_EQ(list.out.find("sk_test_"), std::string::npos);  // keys are never shown again
  // Only the hash is stored.
  auto conn = db.Connect();
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM api_keys WHERE key_hash LIKE '%" + key + "%'"),
            "0");
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM api_keys WHERE length(key_hash) = 64"), "1");
}

TEST(CliTest, InvalidMerchantNamesChangeNothing) {
  TestDatabase db;
  ASSERT_TRUE(db.Migrate());
  const Env env = {{"PAYMENTS_DATABASE_URL", db.conninfo()}};
  ExpectUsageError(RunPayments({"merchants", "create", "--name", ""}, env), "name");
  ExpectUsageError(RunPayments({"merchants", "create", "--name", std::string(201, 'x')}, env),
                   "name");
  auto conn = db.Connect();
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM merchants"), "0");
}

TEST(CliTest, MerchantsNeedADatabase) {
  auto r = RunPayments({"merchants", "list"}, {{"PAYMENTS_DATABASE_URL", ""}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("PAYMENTS_DATABASE_URL"), std::string::npos);
}

TEST(CliTest, MigrateUpCreatesTheSchemaAndIsThenANoOp) {
  TestDatabase db;
  const Env env = {{"PAYMENTS_DATABASE_URL", db.conninfo()}};
  auto first = RunPayments({"migrate", "up"}, env);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto conn = db.Connect();
  const std::string built_in = std::to_string(migrate::LoadEmbeddedMigrations()->size());
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM schema_migrations WHERE success"), built_in);
  EXPECT_EQ(QueryValue(*conn, "SELECT to_regclass('payments') IS NOT NULL"), "t");
  auto second = RunPayments({"migrate", "up"}, env);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(QueryValue(*conn, "SELECT count(*) FROM schema_migrations"), built_in);
}

TEST(CliTest, VersionNamesTheLinkedLibraries) {
  auto plain = RunPayments({"version"});
  ASSERT_EQ(plain.exit_code, 0);
  EXPECT_TRUE(plain.out.starts_with("payments 0.")) << plain.out;
  auto verbose = RunPayments({"version", "--verbose"});
  ASSERT_EQ(verbose.exit_code, 0);
  for (const char* lib : {"libpq", "openssl", "boost", "librdkafka"}) {
    EXPECT_NE(verbose.out.find(lib), std::string::npos) << lib;
  }
}

}  // namespace
}  // namespace payments::testing
