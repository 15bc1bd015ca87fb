#include "support/test_database.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "core/crypto.h"
#include "migrate/migrator.h"
#include "serve/embedded_postgres.h"

namespace payments::testing {
namespace {

struct PrivateServer {
  std::string dir;
  std::unique_ptr<serve::EmbeddedPostgres> pg;
  ~PrivateServer() {
    if (pg) (void)pg->Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

std::string StartPrivateServer() {
  static PrivateServer server;
  char tmpl[] = "/tmp/payments-test-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  if (dir == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return "";
  }
  server.dir = dir;
  chmod(dir, 0755);
  server.pg = std::make_unique<serve::EmbeddedPostgres>(
      serve::EmbeddedPostgresOptions{.data_dir = server.dir + "/data",
                                     .socket_dir = server.dir + "/run",
                                     .port = 5432,
                                     .settings = {}});
  if (auto s = server.pg->Start(); !s) {
    ADD_FAILURE() << "cannot start PostgreSQL: " << s.error().message;
    return "";
  }
  return server.pg->ConnInfo("postgres");
}

}  // namespace

std::string AdminConnInfo() {
  static std::once_flag once;
  static std::string conninfo;
  std::call_once(once, [] {
    const char* env = std::getenv("PAYMENTS_TEST_PG");
    conninfo = env && *env ? env : StartPrivateServer();
  });
  return conninfo;
}

std::string ServerSocketDir() {
  const std::string info = AdminConnInfo();
  const size_t start = info.find("host='");
  if (start == std::string::npos) return "";
  const size_t end = info.find('\'', start + 6);
  return info.substr(start + 6, end - start - 6);
}

TestDatabase::TestDatabase() {
  std::string suffix = RandomBase62(12);
  for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  name_ = "t_" + suffix;
  auto admin = db::Connection::Open({.conninfo = AdminConnInfo()});
  if (!admin) {
    ADD_FAILURE() << "cannot reach the test PostgreSQL: " << admin.error().detail;
    return;
  }
  auto created = (*admin)->Exec("CREATE DATABASE " + name_);
  if (!created) ADD_FAILURE() << "CREATE DATABASE failed: " << created.error().detail;
  // Same server, another database: the maintenance conninfo names dbname last.
  conninfo_ = AdminConnInfo() + " dbname=" + name_;
}

TestDatabase::~TestDatabase() {
  auto admin = db::Connection::Open({.conninfo = AdminConnInfo()});
  if (!admin) return;
  (void)(*admin)->Exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
}

std::unique_ptr<db::Connection> TestDatabase::Connect() const {
  auto conn = db::Connection::Open({.conninfo = conninfo_});
  if (!conn) {
    ADD_FAILURE() << "cannot connect to " << name_ << ": " << conn.error().detail;
    return nullptr;
  }
  return std::move(*conn);
}

payments::Status TestDatabase::Migrate() const {
  auto migrations = migrate::LoadEmbeddedMigrations();
  if (!migrations) return std::unexpected(migrations.error());
  auto conn = Connect();
  if (!conn) return std::unexpected(Error::Internal("no connection"));
  migrate::Migrator m(*conn, std::move(*migrations), {});
  auto report = m.Up({});
  if (!report) return std::unexpected(report.error());
  return {};
}

std::string QueryValue(db::Connection& conn, const std::string& sql) {
  auto rows = conn.Exec(sql);
  if (!rows) {
    ADD_FAILURE() << sql << ": " << rows.error().detail;
    return "";
  }
  if (rows->empty() || rows->IsNull(0, 0)) return "";
  return rows->String(0, 0);
}

}  // namespace payments::testing
