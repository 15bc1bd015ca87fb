// `payments migrate …`: the schema migration engine's command line.
#include <fmt/format.h>

#include <cstdio>

#include "cli/subcommands.h"
#include "db/connection.h"
#include "migrate/migrator.h"

namespace payments::cli {

void AddMigrateCommand(CLI::App& app, int& exit_code) {
  auto* migrate = app.add_subcommand("migrate", "Create or evolve the database schema");
  migrate->require_subcommand(1);

  struct UpArgs {
    std::string database_url;
    std::string dir;
    int64_t to = 0;
    int wait = 0;
  };
  auto args = std::make_shared<UpArgs>();
  auto* up = migrate->add_subcommand("up", "Apply pending migrations in order");
  AddDatabaseUrlOption(up, args->database_url)->required();
  up->add_option("--dir", args->dir, "Read migrations from this directory instead of the binary")
      ->envname("PAYMENTS_MIGRATIONS_DIR");
  up->add_option("--to", args->to, "Apply up to this version")->check(CLI::PositiveNumber);
  up->add_option("--wait", args->wait, "Seconds to wait for another migrator to finish")
      ->envname("PAYMENTS_MIGRATE_WAIT")
      ->check(CLI::NonNegativeNumber);
  up->callback([args, &exit_code] {
    auto migrations = args->dir.empty() ? migrate::LoadEmbeddedMigrations()
                                        : migrate::LoadMigrationDirectory(args->dir);
    if (!migrations) {
      PrintError(migrations.error().message);
      exit_code = 2;
      return;
    }
    auto conn = db::Connection::Open(
        {.conninfo = args->database_url, .application_name = "payments migrate"});
    if (!conn) {
      PrintError(fmt::format("cannot connect to the database: {}", conn.error().detail));
      exit_code = 1;
      return;
    }
    migrate::Migrator migrator(**conn, std::move(*migrations),
                               {.lock_wait = std::chrono::seconds(args->wait)});
    migrate::UpOptions options;
    if (args->to > 0) options.to = args->to;
    auto report = migrator.Up(options);
    if (!report) {
      PrintError(report.error().message);
      exit_code = 1;
      return;
    }
    if (report->applied.empty()) {
      std::puts("migrate: the schema is up to date");
    }
    for (int64_t v : report->applied)
      std::printf("migrate: applied %lld\n", static_cast<long long>(v));
    exit_code = 0;
  });
}

}  // namespace payments::cli
