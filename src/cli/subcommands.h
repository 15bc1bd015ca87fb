// One function per subcommand, each in its own file under cli/. Each adds its
// CLI11 subcommand to `app` and, when it runs, stores its exit code in
// `exit_code`: 0 success, 1 failure at run time, 2 bad usage or configuration.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace payments::cli {

void AddServeCommand(CLI::App& app, int& exit_code);
void AddMigrateCommand(CLI::App& app, int& exit_code);
void AddMerchantsCommand(CLI::App& app, int& exit_code);
void AddFlagsCommand(CLI::App& app, int& exit_code);
void AddVersionCommand(CLI::App& app, int& exit_code);
void AddSmokeCommand(CLI::App& app, int& exit_code);
void AddEventsCommand(CLI::App& app, int& exit_code);

// --database-url / PAYMENTS_DATABASE_URL, for subcommands that need a database.
CLI::Option* AddDatabaseUrlOption(CLI::App* sub, std::string& url);

// Prints "payments: error: <message>" to stderr.
void PrintError(std::string_view message);

}  // namespace payments::cli
