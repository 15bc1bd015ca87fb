// One function per subcommand, each in its own file under cli/. Each adds its
// CLI11 subcommand to `app` and, when it runs, stores its exit code in
// `exit_code`: 0 success, 1 failure at run time, 2 bad usage or configuration.
#pragma once

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>

#include "core/error.h"
#include "db/pool.h"

namespace payments::cli {

void AddServeCommand(CLI::App& app, int& exit_code);
void AddMigrateCommand(CLI::App& app, int& exit_code);
void AddMerchantsCommand(CLI::App& app, int& exit_code);
void AddFlagsCommand(CLI::App& app, int& exit_code);
void AddVersionCommand(CLI::App& app, int& exit_code);
void AddSmokeCommand(CLI::App& app, int& exit_code);
void AddEventsCommand(CLI::App& app, int& exit_code);
void AddSandboxCommand(CLI::App& app, int& exit_code);
void AddReconcileCommand(CLI::App& app, int& exit_code);
void AddWebhooksCommand(CLI::App& app, int& exit_code);

// --database-url / PAYMENTS_DATABASE_URL, for subcommands that need a database.
CLI::Option* AddDatabaseUrlOption(CLI::App* sub, std::string& url);

// A pool of one connection to url for a subcommand's work; a 400-kind error
// (exit 2) naming the variable when url is empty.
payments::Result<std::unique_ptr<db::Pool>> CommandPool(const std::string& url,
                                                        const std::string& application_name);

// Runs body with a CommandPool; exit code 0, or that of the pool's or the
// body's error (ReportError).
void RunWithPool(const std::string& url, const std::string& application_name, int& exit_code,
                 const std::function<payments::Status(db::Pool&)>& body);

// Duration options are integers in the unit of the target (milliseconds or
// seconds, which the help says).
template <typename Duration>
CLI::Option* AddDuration(CLI::App* sub, const std::string& name, Duration& target,
                         const std::string& env, const std::string& help) {
  constexpr const char* unit =
      std::is_same_v<Duration, std::chrono::seconds> ? "seconds" : "milliseconds";
  return sub
      ->add_option_function<int64_t>(
          name, [&target](const int64_t& v) { target = Duration(v); },
          fmt::format("{} ({}, default {})", help, unit, target.count()))
      ->envname(env)
      ->check(CLI::NonNegativeNumber);
}

inline CLI::Option* AddMillis(CLI::App* sub, const std::string& name,
                              std::chrono::milliseconds& target, const std::string& env,
                              const std::string& help) {
  return AddDuration(sub, name, target, env, help);
}

// Who runs a change that names no --actor: "$USER@host".
std::string DefaultActor();

// Prints "payments: error: <message>" to stderr.
void PrintError(std::string_view message);

// Prints the error on one line (with the library's detail when the database
// was unreachable) and returns the exit code: 2 for bad input, else 1.
int ReportError(const Error& error);

// `payments merchants keys …` (merchant_keys_command.cpp), under `merchants`.
void AddMerchantKeysCommand(CLI::App& merchants, int& exit_code);

}  // namespace payments::cli
