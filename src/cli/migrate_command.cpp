// `payments migrate …`: the schema migration engine's command line. status,
// up, down and validate talk to the database; lint and new work on files.
// Each option also reads a PAYMENTS_* environment variable.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "cli/subcommands.h"
#include "db/connection.h"
#include "migrate/linter.h"
#include "migrate/migrator.h"
#include "migrate/report.h"

namespace payments::cli {
namespace {

namespace fs = std::filesystem;
using migrate::Migration;

struct MigrateArgs {
  std::string database_url;
  std::string dir;
  int64_t to = -1;
  std::string phase = "all";
  bool dry_run = false;
  int wait = 0;
  int batch_size = migrate::kDefaultBatchSize;
  int pause_ms = static_cast<int>(migrate::kDefaultBatchPause.count());
  bool force = false;
  std::vector<std::string> files;
  std::string name;
};

void AddDirOption(CLI::App* sub, MigrateArgs& args) {
  sub->add_option("--dir", args.dir,
                  "Read migrations from this directory instead of those built into the binary")
      ->envname("PAYMENTS_MIGRATIONS_DIR");
}

// Loads the migrations (--dir or built in); bad files are bad usage (exit 2).
std::optional<std::vector<Migration>> LoadOrReport(const MigrateArgs& args, int& exit_code) {
  auto migrations = args.dir.empty() ? migrate::LoadEmbeddedMigrations()
                                     : migrate::LoadMigrationDirectory(args.dir);
  if (!migrations) {
    PrintError(migrations.error().message);
    exit_code = 2;
    return std::nullopt;
  }
  return std::move(*migrations);
}

std::unique_ptr<db::Connection> ConnectOrReport(const MigrateArgs& args, int& exit_code) {
  auto conn =
      db::Connection::Open({.conninfo = args.database_url, .application_name = "payments migrate"});
  if (!conn) {
    PrintError(fmt::format("cannot connect to the database ({}): {}",
                           db::RedactConninfo(args.database_url), conn.error().detail));
    exit_code = 1;
    return nullptr;
  }
  return std::move(*conn);
}

// Prints the engine's events: progress as a bar on a terminal, plain lines
// (one every two seconds, and the last) otherwise.
class EventPrinter {
 public:
  EventPrinter() : tty_(isatty(STDERR_FILENO) == 1) {}

  void operator()(const migrate::MigratorEvent& e) {
    switch (e.kind) {
      case migrate::EventKind::kProgress:
        return Progress(e.progress);
      case migrate::EventKind::kWarning:
        EndBar();
        std::fprintf(stderr, "payments: warning: %s\n", e.message.c_str());
        return;
      case migrate::EventKind::kInfo:
      case migrate::EventKind::kRetry:
        EndBar();
        std::printf("migrate: %s\n", e.message.c_str());
        std::fflush(stdout);
        return;
    }
  }

  ~EventPrinter() { EndBar(); }

 private:
  void Progress(const migrate::BackfillProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (tty_) {
      if (!p.finished && now - last_ < std::chrono::milliseconds(100)) return;
      std::fprintf(stderr, "\r%s\x1b[K", migrate::FormatProgressBar(p).c_str());
      bar_open_ = !p.finished;
      if (p.finished) std::fputc('\n', stderr);
    } else {
      if (!p.finished && now - last_ < std::chrono::seconds(2)) return;
      std::printf("migrate: %s\n", migrate::FormatProgressLine(p).c_str());
      std::fflush(stdout);
    }
    last_ = now;
  }
  void EndBar() {
    if (bar_open_) std::fputc('\n', stderr);
    bar_open_ = false;
  }

  bool tty_;
  bool bar_open_ = false;
  std::chrono::steady_clock::time_point last_{};
};

// The engine's errors say everything; the database layer's generic ones
// ("database unavailable") need their detail.
std::string Describe(const Error& e) {
  if (e.detail.empty() || e.message.find(e.detail) != std::string::npos ||
      e.code == "migration_failed" || e.kind == ErrorKind::kStateConflict ||
      e.kind == ErrorKind::kInvalidRequest) {
    return e.message;
  }
  return fmt::format("{}: {}", e.message, e.detail);
}

migrate::MigratorOptions MakeOptions(const MigrateArgs& args,
                                     const std::shared_ptr<EventPrinter>& printer) {
  migrate::MigratorOptions o;
  o.lock_wait = std::chrono::seconds(args.wait);
  o.batch_size = args.batch_size;
  o.batch_pause = std::chrono::milliseconds(args.pause_ms);
  o.force = args.force;
  o.on_event = [printer](const migrate::MigratorEvent& e) { (*printer)(e); };
  return o;
}

// What status, up, down and validate share: the migrations, a connection and
// a Migrator printing its events. Reports and sets exit_code when it cannot.
struct Session {
  std::unique_ptr<db::Connection> conn;
  std::unique_ptr<migrate::Migrator> migrator;
};

std::optional<Session> OpenSession(const MigrateArgs& args, int& exit_code) {
  auto migrations = LoadOrReport(args, exit_code);
  if (!migrations) return std::nullopt;
  Session s;
  s.conn = ConnectOrReport(args, exit_code);
  if (!s.conn) return std::nullopt;
  s.migrator = std::make_unique<migrate::Migrator>(
      *s.conn, std::move(*migrations), MakeOptions(args, std::make_shared<EventPrinter>()));
  return s;
}

// Engine errors: malformed migrations are bad input (2), the rest run-time (1).
void ReportFailure(const Error& e, int& exit_code) {
  PrintError(Describe(e));
  exit_code = e.kind == ErrorKind::kInvalidRequest ? 2 : 1;
}

void RunUp(const MigrateArgs& args, int& exit_code) {
  auto session = OpenSession(args, exit_code);
  if (!session) return;
  migrate::UpOptions options;
  if (args.to >= 0) options.to = args.to;
  options.phase = args.phase == "expand"     ? migrate::PhaseFilter::kExpand
                  : args.phase == "contract" ? migrate::PhaseFilter::kContract
                                             : migrate::PhaseFilter::kAll;
  if (args.dry_run) {
    auto plan = session->migrator->Plan(options);
    if (!plan) return ReportFailure(plan.error(), exit_code);
    std::fputs(migrate::FormatPlan(*plan).c_str(), stdout);
    exit_code = 0;
    return;
  }
  auto report = session->migrator->Up(options);
  if (!report) return ReportFailure(report.error(), exit_code);
  if (report->applied.empty() && report->backfilled.empty()) {
    std::puts("migrate: the schema is up to date");
  }
  exit_code = 0;
}

void RunDown(const MigrateArgs& args, int& exit_code) {
  auto session = OpenSession(args, exit_code);
  if (!session) return;
  auto report = session->migrator->Down(args.to);
  if (!report) return ReportFailure(report.error(), exit_code);
  if (report->undone.empty()) {
    std::printf("migrate: nothing applied above %s\n", migrate::FormatVersion(args.to).c_str());
  }
  exit_code = 0;
}

void RunStatus(const MigrateArgs& args, int& exit_code) {
  auto session = OpenSession(args, exit_code);
  if (!session) return;
  auto status = session->migrator->Status();
  if (!status) return ReportFailure(status.error(), exit_code);
  std::fputs(migrate::FormatStatus(*status).c_str(), stdout);
  exit_code = 0;
}

void RunValidate(const MigrateArgs& args, int& exit_code) {
  auto session = OpenSession(args, exit_code);
  if (!session) return;
  auto history = session->migrator->History();
  if (!history) return ReportFailure(history.error(), exit_code);
  const auto& files = session->migrator->migrations();
  const auto problems = migrate::ValidateHistory(files, *history);
  for (const std::string& p : problems) std::printf("invalid: %s\n", p.c_str());
  if (!problems.empty()) {
    PrintError(fmt::format("validate: {} problem(s)", problems.size()));
    exit_code = 1;
    return;
  }
  std::printf("migrate: validate: %zu migration file(s), %zu applied, history consistent\n",
              files.size(),
              static_cast<size_t>(
                  std::count_if(history->begin(), history->end(),
                                [](const migrate::AppliedMigration& a) { return a.success; })));
  exit_code = 0;
}

void RunLint(const MigrateArgs& args, int& exit_code) {
  // Files are linted with the earlier migrations of their directory as
  // context (a CHECK validated there allows a SET NOT NULL here).
  struct Group {
    std::vector<Migration> migrations;
    std::set<std::string> report;  // file names; empty: all
    bool all = false;
  };
  std::map<std::string, Group> groups;  // by directory
  std::vector<Migration> embedded;
  if (args.files.empty() && args.dir.empty()) {
    auto m = migrate::LoadEmbeddedMigrations();
    if (!m) {
      PrintError(m.error().message);
      exit_code = 2;
      return;
    }
    groups["(built in)"] = Group{std::move(*m), {}, true};
  }
  std::vector<std::string> paths = args.files;
  if (paths.empty() && !args.dir.empty()) paths.push_back(args.dir);
  for (const std::string& path : paths) {
    std::error_code ec;
    const bool is_dir = fs::is_directory(path, ec);
    if (!is_dir && !fs::is_regular_file(path, ec)) {
      PrintError(fmt::format("no such file or directory: {}", path));
      exit_code = 2;
      return;
    }
    const std::string dir = is_dir ? path : fs::path(path).parent_path().string();
    Group& g = groups[dir.empty() ? "." : dir];
    if (g.migrations.empty()) {
      auto m = migrate::LoadMigrationDirectory(dir.empty() ? "." : dir);
      if (!m) {
        PrintError(m.error().message);
        exit_code = 2;
        return;
      }
      g.migrations = std::move(*m);
    }
    if (is_dir) {
      g.all = true;
    } else {
      const std::string name = fs::path(path).filename().string();
      if (name.ends_with(".down.sql")) {
        std::printf("migrate: lint: skipping undo file %s\n", path.c_str());
        continue;
      }
      g.report.insert(name);
    }
  }
  size_t files = 0;
  std::vector<migrate::LintFinding> findings;
  for (const auto& [dir, g] : groups) {
    std::vector<migrate::LintInput> inputs;
    for (const Migration& m : g.migrations) {
      const bool report = g.all || g.report.contains(m.filename);
      const std::string path =
          dir == "(built in)" ? m.filename : (fs::path(dir) / m.filename).string();
      inputs.push_back({&m, path, report});
      if (report) ++files;
    }
    for (migrate::LintFinding& f : migrate::Lint(inputs)) findings.push_back(std::move(f));
  }
  for (const migrate::LintFinding& f : findings) std::printf("%s\n", f.ToString().c_str());
  if (!findings.empty()) {
    PrintError(fmt::format("lint: {} finding(s) in {} file(s)", findings.size(), files));
    exit_code = 1;
    return;
  }
  std::printf("migrate: lint: %zu file(s), no findings\n", files);
  exit_code = 0;
}

void RunNew(const MigrateArgs& args, int& exit_code) {
  const std::string dir = args.dir.empty() ? "migrations" : args.dir;
  const auto phase = migrate::ParsePhase(args.phase == "all" ? "none" : args.phase);
  if (!phase) {
    PrintError(fmt::format("--phase: expected expand, contract or none, not '{}'", args.phase));
    exit_code = 2;
    return;
  }
  if (args.name.empty() || args.name.size() > 60 ||
      !std::all_of(args.name.begin(), args.name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      })) {
    PrintError(fmt::format("NAME must be 1-60 lower-case letters, digits and underscores, not '{}'",
                           args.name));
    exit_code = 2;
    return;
  }
  auto existing = migrate::LoadMigrationDirectory(dir);
  if (!existing) {
    PrintError(existing.error().message);
    exit_code = 2;
    return;
  }
  const int64_t next = existing->empty() ? 1 : existing->back().version + 1;
  const fs::path path =
      fs::path(dir) / fmt::format("{}_{}.sql", migrate::FormatVersion(next), args.name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << migrate::NewMigrationTemplate(args.name, *phase);
  out.close();
  if (!out) {
    PrintError(fmt::format("cannot write {}", path.string()));
    exit_code = 1;
    return;
  }
  std::printf("%s\n", path.string().c_str());
  exit_code = 0;
}

}  // namespace

void AddMigrateCommand(CLI::App& app, int& exit_code) {
  auto* migrate = app.add_subcommand("migrate", "Create or evolve the database schema");
  migrate->require_subcommand(1);
  auto args = std::make_shared<MigrateArgs>();
  const std::vector<std::string> phases = {"expand", "contract", "all"};

  auto* status = migrate->add_subcommand(
      "status", "Show every migration: applied when, by whom, how long, checksum; then pending");
  AddDatabaseUrlOption(status, args->database_url)->required();
  AddDirOption(status, *args);
  status->callback([args, &exit_code] { RunStatus(*args, exit_code); });

  auto* up = migrate->add_subcommand("up", "Apply pending migrations in order");
  AddDatabaseUrlOption(up, args->database_url)->required();
  AddDirOption(up, *args);
  up->add_option("--to", args->to, "Apply up to this version")
      ->envname("PAYMENTS_MIGRATE_TO")
      ->check(CLI::PositiveNumber);
  up->add_option("--phase", args->phase,
                 "expand: everything but contract migrations (before a rollout); contract: only "
                 "contract migrations (after it); all")
      ->envname("PAYMENTS_MIGRATE_PHASE")
      ->check(CLI::IsMember(phases));
  up->add_flag("--dry-run", args->dry_run, "Print the plan and its SQL; change nothing")
      ->envname("PAYMENTS_MIGRATE_DRY_RUN");
  up->add_option("--wait", args->wait, "Seconds to wait for another migrator to finish")
      ->envname("PAYMENTS_MIGRATE_WAIT")
      ->check(CLI::NonNegativeNumber);
  up->add_option("--batch-size", args->batch_size, "Rows per backfill batch (one transaction)")
      ->envname("PAYMENTS_MIGRATE_BATCH_SIZE")
      ->check(CLI::Range(1, 1'000'000));
  up->add_option("--pause", args->pause_ms, "Milliseconds to pause between backfill batches")
      ->envname("PAYMENTS_MIGRATE_PAUSE")
      ->check(CLI::Range(0, 600'000));
  // --force has no environment variable on purpose: set once in a deploy
  // manifest it would switch the interlock off for every later rollout.
  up->add_flag("--force", args->force,
               "Apply contract migrations although live instances were built without them");
  up->callback([args, &exit_code] { RunUp(*args, exit_code); });

  auto* down = migrate->add_subcommand(
      "down", "Undo applied migrations above a version with their undo files, newest first");
  AddDatabaseUrlOption(down, args->database_url)->required();
  AddDirOption(down, *args);
  // No environment variable on purpose: what to undo is said on the command
  // line, every time.
  down->add_option("--to", args->to, "Keep migrations up to this version (0: undo all)")
      ->required()
      ->check(CLI::NonNegativeNumber);
  down->add_option("--wait", args->wait, "Seconds to wait for another migrator to finish")
      ->envname("PAYMENTS_MIGRATE_WAIT")
      ->check(CLI::NonNegativeNumber);
  down->add_flag("--force", args->force,
                 "Undo although live instances were built with those migrations");
  down->callback([args, &exit_code] { RunDown(*args, exit_code); });

  auto* validate = migrate->add_subcommand(
      "validate",
      "Fail if an applied migration's file changed or is missing, or versions have gaps");
  AddDatabaseUrlOption(validate, args->database_url)->required();
  AddDirOption(validate, *args);
  validate->callback([args, &exit_code] { RunValidate(*args, exit_code); });

  auto* lint = migrate->add_subcommand(
      "lint", "Check migration files for operations that lock or break a running service");
  lint->add_option("files", args->files,
                   "Files or directories (default: --dir, else the migrations built in)");
  AddDirOption(lint, *args);
  lint->callback([args, &exit_code] { RunLint(*args, exit_code); });

  auto* create =
      migrate->add_subcommand("new", "Write the next numbered migration from a template");
  create->add_option("name", args->name, "lower_case_name")->required();
  create->add_option("--phase", args->phase, "expand, contract or none")
      ->check(CLI::IsMember({"expand", "contract", "none"}));
  create->add_option("--dir", args->dir, "Directory of migrations (default: migrations)")
      ->envname("PAYMENTS_MIGRATIONS_DIR");
  create->callback([args, &exit_code] { RunNew(*args, exit_code); });
}

}  // namespace payments::cli
