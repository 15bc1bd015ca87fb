#include "serve/embedded_default.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/crypto.h"
#include "db/connection.h"
#include "migrate/migration.h"
#include "migrate/migrator.h"
#include "service/merchant_service.h"
#include "store/api_key_store.h"
#include "telemetry/log.h"

namespace payments::serve {
namespace {

namespace fs = std::filesystem;

constexpr const char* kEmbeddedDatabase = "payments";

payments::Result<DemoMerchant> EnsureDemoMerchant(db::Connection& conn, const std::string& dir) {
  const fs::path file = fs::path(dir) / "demo-merchant.key";
  {
    std::ifstream in(file);
    DemoMerchant demo;
    if (in >> demo.id >> demo.key) {
      auto owner = store::FindActiveApiKey(conn, Sha256Hex(demo.key));
      if (!owner) return std::unexpected(owner.error());
      if (*owner && (*owner)->merchant_id == demo.id) return demo;
    }
  }
  auto created = service::CreateMerchant(conn, "Demo merchant", "serve (embedded default)");
  if (!created) return std::unexpected(created.error());
  {
    std::ofstream out(file, std::ios::trunc);
    out << created->id << " " << created->secret_key << "\n";
  }
  chmod(file.c_str(), 0600);
  return DemoMerchant{created->id, created->secret_key};
}

}  // namespace

Embedded MakeEmbedded(const std::string& data_dir) {
  Embedded e;
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  e.pg = std::make_unique<EmbeddedPostgres>(
      EmbeddedPostgresOptions{.data_dir = (fs::path(data_dir) / "pgdata").string(),
                              .socket_dir = (fs::path(data_dir) / "run").string(),
                              .port = 5432,
                              .settings = {}});
  e.conninfo = e.pg->ConnInfo(kEmbeddedDatabase);
  return e;
}

payments::Status StartEmbedded(const std::string& data_dir, Embedded& e) {
  log::Info("starting the embedded PostgreSQL", {{"data_dir", e.pg->options().data_dir}});
  if (auto s = e.pg->Start(); !s) return s;
  if (auto s = e.pg->EnsureDatabase(kEmbeddedDatabase); !s) return s;
  auto conn = db::Connection::Open({.conninfo = e.conninfo, .application_name = "payments serve"});
  if (!conn) return std::unexpected(conn.error());
  // The embedded default migrates itself; an external database never does.
  auto migrations = migrate::LoadEmbeddedMigrations();
  if (!migrations) return std::unexpected(migrations.error());
  migrate::MigratorOptions migrator_options;
  migrator_options.lock_wait = std::chrono::seconds(30);
  migrate::Migrator migrator(**conn, std::move(*migrations), migrator_options);
  auto report = migrator.Up({});
  if (!report) return std::unexpected(report.error());
  for (int64_t v : report->applied) log::Info("applied migration", {{"version", v}});
  auto demo = EnsureDemoMerchant(**conn, data_dir);
  if (!demo) return std::unexpected(demo.error());
  e.demo = *demo;
  return {};
}

void PrintBanner(const std::string& public_address, const DemoMerchant& demo,
                 const std::string& data_dir) {
  const std::string body =
      R"({"amount":1099,"currency":"usd","payment_method":{"card":{"number":"4242424242424242",)"
      R"("exp_month":12,"exp_year":2030,"cvc":"123"}}})";
  std::fprintf(stderr,
               "\npayments is ready on http://%s (embedded PostgreSQL in %s)\n"
               "demo merchant %s, secret key %s\n\n"
               "Take a payment:\n"
               "  curl -s http://%s/v1/payments \\\n"
               "    -H 'Authorization: Bearer %s' \\\n"
               "    -H 'Content-Type: application/json' \\\n"
               "    -H \"Idempotency-Key: demo-$(date +%%s%%N)\" \\\n"
               "    -d '%s'\n\n",
               public_address.c_str(), data_dir.c_str(), demo.id.c_str(), demo.key.c_str(),
               public_address.c_str(), demo.key.c_str(), body.c_str());
}

}  // namespace payments::serve
