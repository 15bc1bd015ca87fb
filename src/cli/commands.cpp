#include "cli/commands.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "cli/subcommands.h"

namespace payments::cli {

payments::Result<std::unique_ptr<db::Pool>> CommandPool(const std::string& url,
                                                        const std::string& application_name) {
  if (url.empty()) {
    return std::unexpected(Error::InvalidRequest(
        "missing_database_url", "no database: set PAYMENTS_DATABASE_URL or --database-url"));
  }
  db::PoolOptions o;
  o.connect.conninfo = url;
  o.connect.application_name = application_name;
  o.size = 1;
  return std::make_unique<db::Pool>(o);
}

void RunWithPool(const std::string& url, const std::string& application_name, int& exit_code,
                 const std::function<payments::Status(db::Pool&)>& body) {
  auto pool = CommandPool(url, application_name);
  if (!pool) return void(exit_code = ReportError(pool.error()));
  if (auto done = body(**pool); !done) return void(exit_code = ReportError(done.error()));
  exit_code = 0;
}

std::string DefaultActor() {
  const char* user = std::getenv("USER");
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return fmt::format("{}@{}", user && *user ? user : "unknown", host[0] ? host : "localhost");
}

void PrintError(std::string_view message) {
  std::fputs(fmt::format("payments: error: {}\n", message).c_str(), stderr);
}

int ReportError(const Error& e) {
  std::string message = e.message;
  if (e.kind == ErrorKind::kUnavailable && !e.detail.empty()) message += ": " + e.detail;
  // One line: libpq adds hints on lines of their own.
  if (const size_t nl = message.find('\n'); nl != std::string::npos) message.resize(nl);
  PrintError(message);
  return e.kind == ErrorKind::kInvalidRequest ? 2 : 1;
}

CLI::Option* AddDatabaseUrlOption(CLI::App* sub, std::string& url) {
  return sub
      ->add_option("--database-url", url,
                   "PostgreSQL connection URL or conninfo string; unset means the embedded "
                   "default under --data-dir")
      ->envname("PAYMENTS_DATABASE_URL");
}

int Main(int argc, char** argv) {
  CLI::App app{
      "payments: a payment service built to be patched and upgraded while it takes "
      "payments"};
  app.name("payments");
  app.require_subcommand(1);
  app.fallthrough(false);
  int exit_code = 0;
  AddServeCommand(app, exit_code);
  AddMigrateCommand(app, exit_code);
  AddMerchantsCommand(app, exit_code);
  AddFlagsCommand(app, exit_code);
  AddSmokeCommand(app, exit_code);
  AddVersionCommand(app, exit_code);
  AddEventsCommand(app, exit_code);
  AddSandboxCommand(app, exit_code);
  AddReconcileCommand(app, exit_code);
  AddWebhooksCommand(app, exit_code);
  bool known = argc <= 1 || argv[1][0] == '-';
  std::string names;
  for (const CLI::App* sub : app.get_subcommands({})) {
    names += (names.empty() ? "" : ", ") + sub->get_name();
    known = known || sub->get_name() == argv[1];
  }
  if (!known) {
    PrintError(fmt::format("unknown command '{}' (commands: {})", argv[1], names));
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::fputs(app.help("", CLI::AppFormatMode::All).c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    // One line and exit code 2, whatever CLI11's own code would be.
    std::string message = e.what();
    if (const size_t nl = message.find('\n'); nl != std::string::npos) message.resize(nl);
    PrintError(fmt::format("{} (see `payments --help`)", message));
    return 2;
  }
  return exit_code;
}

}  // namespace payments::cli
