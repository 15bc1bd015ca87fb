#include "migrate/migration.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>

#include "core/crypto.h"
#include "core/duration.h"

namespace payments::migrate {
namespace {

struct ParsedName {
  int64_t version;
  std::string name;
  bool down;
};

std::optional<ParsedName> ParseName(std::string_view file) {
  if (!file.ends_with(".sql")) return std::nullopt;
  std::string_view stem = file.substr(0, file.size() - 4);
  bool down = false;
  if (stem.ends_with(".down")) {
    down = true;
    stem.remove_suffix(5);
  }
  const size_t underscore = stem.find('_');
  if (underscore == std::string_view::npos || underscore == 0 || underscore + 1 >= stem.size()) {
    return std::nullopt;
  }
  const std::string_view digits = stem.substr(0, underscore);
  int64_t version = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || version <= 0) {
    return std::nullopt;
  }
  const std::string_view name = stem.substr(underscore + 1);
  if (!std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      })) {
    return std::nullopt;
  }
  return ParsedName{version, std::string(name), down};
}

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsSimpleName(std::string_view s) {
  if (s.empty() || s.size() > 63 || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// A table as directives name it: name or schema.name, lower case.
bool IsTableName(std::string_view s) {
  const size_t dot = s.find('.');
  if (dot == std::string_view::npos) return IsSimpleName(s);
  return IsSimpleName(s.substr(0, dot)) && IsSimpleName(s.substr(dot + 1));
}

struct Directive {
  std::string key;
  std::string value;
  int line = 0;
};

// The directives of the leading comment block, continuation lines joined.
std::vector<Directive> ReadDirectives(std::string_view sql) {
  std::vector<Directive> out;
  int line_no = 0;
  bool continuable = false;
  size_t pos = 0;
  while (pos < sql.size()) {
    size_t end = sql.find('\n', pos);
    if (end == std::string_view::npos) end = sql.size();
    const std::string_view raw = sql.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    const std::string_view line = TrimView(raw);
    if (line.empty()) {
      continuable = false;
      continue;
    }
    if (!line.starts_with("--")) break;
    const std::string_view after = line.substr(2);
    const std::string_view text = TrimView(after);
    if (text.starts_with("migrate:")) {
      const std::string_view body = text.substr(8);
      const size_t space = body.find_first_of(" \t");
      Directive d;
      d.key = std::string(body.substr(0, space));
      d.value = space == std::string_view::npos ? "" : std::string(TrimView(body.substr(space)));
      d.line = line_no;
      out.push_back(std::move(d));
      continuable = true;
      continue;
    }
    // "--   more of the previous directive"
    if (continuable && !out.empty() && after.size() > 2 &&
        (after.starts_with("  ") || after.starts_with("\t"))) {
      out.back().value += " ";
      out.back().value += text;
      continue;
    }
    continuable = false;
  }
  return out;
}

payments::Result<Backfill> ParseBackfill(std::string_view text, int line) {
  LexResult lexed = SplitStatements(text);
  auto bad = [&](std::string why) -> payments::Result<Backfill> {
    return std::unexpected(Error::InvalidRequest("invalid_migration_directive", std::move(why)));
  };
  if (!lexed.error.empty() || lexed.statements.size() != 1) {
    return bad("backfill must be one UPDATE <table> SET ... [WHERE ...] statement");
  }
  const Statement& s = lexed.statements[0];
  const std::vector<Token>& t = s.tokens;
  if (t.size() < 4 || !t[0].Is("UPDATE")) {
    return bad("backfill must be one UPDATE <table> SET ... [WHERE ...] statement");
  }
  size_t i = 1;
  std::string table = t[i].text;
  if (i + 2 < t.size() && t[i + 1].IsPunct('.')) {
    table += "." + t[i + 2].text;
    i += 2;
  }
  ++i;
  if (!IsTableName(table) || i >= t.size() || !t[i].Is("SET")) {
    return bad("backfill must name a table (lower case) and then SET: UPDATE <table> SET ...");
  }
  const size_t set_start = t[i].end;
  int depth = 0;
  size_t where_at = 0;
  for (size_t k = i + 1; k < t.size(); ++k) {
    if (t[k].IsPunct('(')) ++depth;
    if (t[k].IsPunct(')')) --depth;
    if (depth != 0) continue;
    if (t[k].Is("FROM") || t[k].Is("RETURNING")) {
      return bad("backfill takes no FROM or RETURNING clause");
    }
    if (t[k].Is("WHERE") && where_at == 0) where_at = k;
  }
  Backfill b;
  b.table = table;
  b.line = line;
  const std::string_view src = s.sql;
  const size_t base = t[0].offset;
  if (where_at == 0) {
    b.set = std::string(TrimView(src.substr(set_start - base)));
  } else {
    b.set = std::string(TrimView(src.substr(set_start - base, t[where_at].offset - set_start)));
    b.condition = std::string(TrimView(src.substr(t[where_at].end - base)));
  }
  if (b.set.empty() || (where_at != 0 && b.condition.empty())) {
    return bad("backfill needs a SET list (and a condition after WHERE)");
  }
  return b;
}

payments::Status ApplyDirectives(Migration& m) {
  Transition* current = nullptr;
  bool phase_seen = false;
  for (const Directive& d : ReadDirectives(m.sql)) {
    auto fail = [&](std::string why) -> payments::Status {
      return std::unexpected(Error::InvalidRequest(
          "invalid_migration_directive",
          fmt::format("{}:{}: migrate:{}: {}", m.filename, d.line, d.key, why)));
    };
    if (d.key == "phase") {
      auto p = ParsePhase(d.value);
      if (!p) return fail("expected expand, contract or none");
      if (phase_seen) return fail("the phase is given twice");
      phase_seen = true;
      m.phase = *p;
    } else if (d.key == "lock_timeout" || d.key == "statement_timeout") {
      auto ms = ParseDuration(d.value);
      if (!ms) return fail("expected a duration such as 500ms, 2s or 1min");
      (d.key == "lock_timeout" ? m.lock_timeout : m.statement_timeout) = *ms;
    } else if (d.key == "backfill") {
      auto b = ParseBackfill(d.value, d.line);
      if (!b) return fail(b.error().message);
      m.backfills.push_back(std::move(*b));
    } else if (d.key == "transition") {
      if (!IsTableName(d.value)) return fail("expected a table name (lower case)");
      Transition t;
      t.table = d.value;
      t.line = d.line;
      m.transitions.push_back(std::move(t));
      current = &m.transitions.back();
    } else if (d.key == "new-column" || d.key == "old-column") {
      if (current == nullptr) return fail("must follow a migrate:transition directive");
      const size_t eq = d.value.find('=');
      if (eq == std::string::npos) {
        return fail(d.key == "new-column" ? "expected <name> <type> = <expression over old columns>"
                                          : "expected <name> = <expression over new columns>");
      }
      const std::string_view left = TrimView(std::string_view(d.value).substr(0, eq));
      const std::string expression(TrimView(std::string_view(d.value).substr(eq + 1)));
      if (expression.empty()) return fail("the expression after '=' is empty");
      if (d.key == "new-column") {
        const size_t space = left.find_first_of(" \t");
        const std::string_view name = left.substr(0, space);
        const std::string_view type =
            space == std::string_view::npos ? "" : TrimView(left.substr(space));
        if (!IsSimpleName(name) || type.empty()) {
          return fail("expected <name> <type> = <expression over old columns>");
        }
        current->new_columns.push_back({std::string(name), std::string(type), expression});
      } else {
        if (!IsSimpleName(left)) return fail("expected <name> = <expression over new columns>");
        current->old_columns.push_back({std::string(left), expression});
      }
    } else if (d.key == "complete-transition") {
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(d.value.data(), d.value.data() + d.value.size(), v);
      if (ec != std::errc() || ptr != d.value.data() + d.value.size() || v <= 0) {
        return fail("expected the version of the migration that began the transition");
      }
      if (v >= m.version) return fail("must name an earlier migration");
      m.complete_transitions.push_back(v);
    } else if (d.key == "lint-ignore") {
      // The linter's business (it applies to the first statement).
    } else {
      return fail("unknown directive");
    }
  }
  for (const Transition& t : m.transitions) {
    if (t.new_columns.empty() || t.old_columns.empty()) {
      return std::unexpected(Error::InvalidRequest(
          "invalid_migration_directive",
          fmt::format("{}:{}: migrate:transition {} needs at least one migrate:new-column and one "
                      "migrate:old-column",
                      m.filename, t.line, t.table)));
    }
  }
  if (!m.transitions.empty() && m.phase != Phase::kExpand) {
    return std::unexpected(Error::InvalidRequest(
        "invalid_migration_directive",
        fmt::format("{}: a migrate:transition belongs in an expand migration (migrate:phase "
                    "expand): old and new binaries run side by side while it is in place",
                    m.filename)));
  }
  if (!m.complete_transitions.empty() && m.phase != Phase::kContract) {
    return std::unexpected(Error::InvalidRequest(
        "invalid_migration_directive",
        fmt::format("{}: migrate:complete-transition drops the old columns, so it belongs in a "
                    "contract migration (migrate:phase contract)",
                    m.filename)));
  }
  return {};
}

payments::Result<std::vector<Statement>> Lex(std::string_view filename, std::string_view sql) {
  LexResult lexed = SplitStatements(sql);
  if (!lexed.error.empty()) {
    return std::unexpected(
        Error::InvalidRequest("invalid_migration_sql",
                              fmt::format("{}:{}: {}", filename, lexed.error_line, lexed.error)));
  }
  return std::move(lexed.statements);
}

}  // namespace

std::string_view ToString(Phase phase) {
  switch (phase) {
    case Phase::kExpand:
      return "expand";
    case Phase::kContract:
      return "contract";
    case Phase::kNone:
      return "none";
  }
  return "none";
}

std::optional<Phase> ParsePhase(std::string_view text) {
  if (text == "expand") return Phase::kExpand;
  if (text == "contract") return Phase::kContract;
  if (text == "none") return Phase::kNone;
  return std::nullopt;
}

std::string FormatVersion(int64_t version) { return fmt::format("{:04d}", version); }

bool Migration::reversible() const {
  if (down_sql) return true;
  return statements.empty() && complete_transitions.empty() &&
         (!transitions.empty() || !backfills.empty());
}

payments::Result<Migration> ParseMigration(std::string_view filename, std::string_view content) {
  auto parsed = ParseName(filename);
  if (!parsed || parsed->down) {
    return std::unexpected(Error::InvalidRequest(
        "invalid_migration_name",
        fmt::format("migration file '{}' is not named <version>_<name>.sql (lower case, digits "
                    "and underscores)",
                    filename)));
  }
  Migration m;
  m.version = parsed->version;
  m.name = parsed->name;
  m.filename = std::string(filename);
  m.sql = std::string(content);
  m.checksum = Sha256Hex(m.sql);
  auto statements = Lex(m.filename, m.sql);
  if (!statements) return std::unexpected(statements.error());
  m.statements = std::move(*statements);
  if (auto s = ApplyDirectives(m); !s) return std::unexpected(s.error());
  return m;
}

payments::Result<std::vector<Migration>> ParseMigrationFiles(std::span<const EmbeddedFile> files) {
  std::map<int64_t, Migration> by_version;
  std::map<int64_t, std::pair<std::string, std::string>> downs;  // version -> (name, sql)
  for (const EmbeddedFile& f : files) {
    auto parsed = ParseName(f.name);
    if (!parsed) {
      return std::unexpected(Error::InvalidRequest(
          "invalid_migration_name",
          fmt::format("migration file '{}' is not named <version>_<name>.sql (lower case, digits "
                      "and underscores)",
                      f.name)));
    }
    if (parsed->down) {
      downs[parsed->version] = {parsed->name, std::string(f.content)};
      continue;
    }
    if (by_version.contains(parsed->version)) {
      return std::unexpected(Error::InvalidRequest(
          "duplicate_migration_version",
          fmt::format("migration version {} appears twice ('{}' and '{}')", parsed->version,
                      by_version[parsed->version].filename, f.name)));
    }
    auto m = ParseMigration(f.name, f.content);
    if (!m) return std::unexpected(m.error());
    by_version.emplace(m->version, std::move(*m));
  }
  for (auto& [version, down] : downs) {
    auto it = by_version.find(version);
    if (it == by_version.end() || it->second.name != down.first) {
      return std::unexpected(Error::InvalidRequest(
          "orphan_undo_file", fmt::format("undo file {}_{}.down.sql has no migration",
                                          FormatVersion(version), down.first)));
    }
    auto statements =
        Lex(fmt::format("{}_{}.down.sql", FormatVersion(version), down.first), down.second);
    if (!statements) return std::unexpected(statements.error());
    it->second.down_sql = std::move(down.second);
    it->second.down_statements = std::move(*statements);
  }
  std::vector<Migration> out;
  for (auto& [version, m] : by_version) out.push_back(std::move(m));
  return out;
}

payments::Result<std::vector<Migration>> LoadEmbeddedMigrations() {
  return ParseMigrationFiles(EmbeddedMigrationFiles());
}

payments::Result<std::vector<Migration>> LoadMigrationDirectory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return std::unexpected(Error::InvalidRequest(
        "migration_dir_missing", fmt::format("migration directory '{}' does not exist", dir)));
  }
  std::vector<std::string> names;
  std::vector<std::string> contents;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".sql") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    names.push_back(entry.path().filename().string());
    contents.emplace_back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::vector<EmbeddedFile> files;
  for (size_t i = 0; i < names.size(); ++i) files.push_back({names[i], contents[i]});
  return ParseMigrationFiles(files);
}

int64_t BuiltInSchemaVersion() {
  static const int64_t version = [] {
    auto migrations = LoadEmbeddedMigrations();
    return migrations && !migrations->empty() ? migrations->back().version : 0;
  }();
  return version;
}

}  // namespace payments::migrate
