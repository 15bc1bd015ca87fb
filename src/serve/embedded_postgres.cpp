#include "serve/embedded_postgres.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/crypto.h"
#include "db/connection.h"

namespace payments::serve {
namespace fs = std::filesystem;

namespace {

payments::Status MakeOwnedDir(const std::string& path, const std::optional<ProcessUser>& user) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) {
    return std::unexpected(
        Error::Internal(fmt::format("cannot create directory {}: {}", path, ec.message())));
  }
  if (auto s = ChownTo(path, user); !s) return s;
  if (chmod(path.c_str(), 0700) != 0) {
    return std::unexpected(Error::Internal(fmt::format("cannot chmod {}", path)));
  }
  return {};
}

std::string Tail(const std::string& text, size_t max_lines) {
  size_t pos = text.size();
  for (size_t n = 0; n <= max_lines && pos != std::string::npos && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
  }
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

std::string ReadFileTail(const std::string& path) {
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return Tail(all, 15);
}

}  // namespace

std::string ShortSocketDir(const std::string& preferred) {
  std::error_code ec;
  std::string abs = fs::absolute(preferred, ec).lexically_normal().string();
  if (ec) abs = preferred;
  // ".s.PGSQL.65535" is 14 bytes, plus a slash and the NUL.
  if (abs.size() + 16 <= 107) return abs;
  return "/tmp/payments-" + Sha256Hex(abs).substr(0, 12);
}

payments::Result<std::string> EmbeddedPostgres::FindBinDir() {
  if (const char* env = std::getenv("PAYMENTS_PG_BINDIR"); env && *env) return std::string(env);
  std::vector<std::pair<int, std::string>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = entry.path() / "bin";
    if (fs::exists(bin / "initdb") && fs::exists(bin / "pg_ctl")) {
      try {
        found.emplace_back(std::stoi(entry.path().filename().string()), bin.string());
      } catch (...) {
        // not a version directory
      }
    }
  }
  if (found.empty()) {
    return std::unexpected(Error::Internal(
        "no PostgreSQL server binaries found under /usr/lib/postgresql (install postgresql-15, "
        "or set PAYMENTS_PG_BINDIR)"));
  }
  std::sort(found.begin(), found.end());
  return found.back().second;
}

EmbeddedPostgres::EmbeddedPostgres(EmbeddedPostgresOptions options)
    : options_(std::move(options)), user_(UnprivilegedUserIfRoot()) {
  std::error_code ec;
  options_.data_dir = fs::absolute(options_.data_dir, ec).lexically_normal().string();
  options_.socket_dir = ShortSocketDir(options_.socket_dir);
}

payments::Result<ProcessResult> EmbeddedPostgres::PgCtl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {bin_dir_ + "/pg_ctl", "-D", options_.data_dir};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, user_);
}

payments::Status EmbeddedPostgres::InitIfNeeded() {
  if (bin_dir_.empty()) {
    auto bin = FindBinDir();
    if (!bin) return std::unexpected(bin.error());
    bin_dir_ = *bin;
  }
  if (auto s = MakeOwnedDir(options_.socket_dir, user_); !s) return s;
  if (fs::exists(fs::path(options_.data_dir) / "PG_VERSION")) return {};
  if (auto s = MakeOwnedDir(options_.data_dir, user_); !s) return s;
  auto r = RunProcess({bin_dir_ + "/initdb", "-D", options_.data_dir, "-U", "postgres",
                       "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"},
                      user_);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0) {
    std::string hint;
    if (user_) {
      hint = fmt::format(
          " (running as root, PostgreSQL runs as '{}', which must be able to enter every "
          "directory above {})",
          user_->name, options_.data_dir);
    }
    return std::unexpected(
        Error::Internal(fmt::format("initdb failed{}: {}", hint, Tail(r->output, 5))));
  }
  std::ofstream conf(fs::path(options_.data_dir) / "postgresql.conf", std::ios::app);
  conf << "\n# Written by payments: per-start settings live in payments.conf.\n"
          "include_if_exists = 'payments.conf'\n";
  return {};
}

payments::Status EmbeddedPostgres::WriteSettings() {
  std::map<std::string, std::string> settings = {
      {"listen_addresses", "''"},
      {"unix_socket_directories", db::QuoteLiteral(options_.socket_dir)},
      {"unix_socket_permissions", "0700"},
      {"port", std::to_string(options_.port)},
      {"max_connections", "200"},
      {"fsync", "on"},
      {"synchronous_commit", "on"},
      {"log_min_messages", "warning"},
      {"log_line_prefix", "'%m [%p] '"},
  };
  for (const auto& [k, v] : options_.settings) settings[k] = v;
  const std::string path = (fs::path(options_.data_dir) / "payments.conf").string();
  {
    std::ofstream out(path, std::ios::trunc);
    out << "# Written by payments at each start; edit the options, not this file.\n";
    for (const auto& [k, v] : settings) out << k << " = " << v << "\n";
    if (!out) return std::unexpected(Error::Internal("cannot write " + path));
  }
  return ChownTo(path, user_);
}

bool EmbeddedPostgres::IsRunning() {
  if (bin_dir_.empty()) {
    auto bin = FindBinDir();
    if (!bin) return false;
    bin_dir_ = *bin;
  }
  auto r = PgCtl({"status"});
  return r && r->exit_code == 0;
}

payments::Status EmbeddedPostgres::Start() {
  if (auto s = InitIfNeeded(); !s) return s;
  if (IsRunning()) return {};
  if (auto s = WriteSettings(); !s) return s;
  const std::string log = (fs::path(options_.data_dir) / "postgres.log").string();
  auto r = PgCtl({"start", "-w", "-t", "60", "-s", "-l", log});
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0) {
    return std::unexpected(Error::Internal(
        fmt::format("PostgreSQL did not start: {} {}", Tail(r->output, 5), ReadFileTail(log))));
  }
  return {};
}

payments::Status EmbeddedPostgres::Stop() {
  auto r = PgCtl({"stop", "-w", "-t", "60", "-s", "-m", "fast"});
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0 && IsRunning()) {
    return std::unexpected(Error::Internal("PostgreSQL did not stop: " + Tail(r->output, 5)));
  }
  return {};
}

payments::Status EmbeddedPostgres::Kill() {
  auto r = PgCtl({"stop", "-w", "-t", "60", "-s", "-m", "immediate"});
  if (!r) return std::unexpected(r.error());
  return {};
}

std::string EmbeddedPostgres::ConnInfo(const std::string& dbname) const {
  auto quote = [](const std::string& v) {
    std::string out = "'";
    for (char c : v) {
      if (c == '\'' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out + "'";
  };
  return fmt::format("host={} port={} user=postgres dbname={}", quote(options_.socket_dir),
                     options_.port, quote(dbname));
}

payments::Status EmbeddedPostgres::EnsureDatabase(const std::string& dbname) {
  auto conn = db::Connection::Open({.conninfo = ConnInfo("postgres")});
  if (!conn) return std::unexpected(conn.error());
  auto exists =
      (*conn)->Exec("SELECT 1 FROM pg_database WHERE datname = $1", db::Params().Add(dbname));
  if (!exists) return std::unexpected(exists.error());
  if (!exists->empty()) return {};
  auto created = (*conn)->Exec("CREATE DATABASE " + db::QuoteIdentifier(dbname));
  if (!created && created.error().sqlstate != "42P04") return std::unexpected(created.error());
  return {};
}

}  // namespace payments::serve
