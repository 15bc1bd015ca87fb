// Fuzzes reading migration files (migrate/migration.h): the file name, the
// directives of the leading comment block and the SQL; then what consumes a
// parsed migration without a database: the plan (migrate/plan.h) and the
// linter (migrate/linter.h).
//
// Input: one or more files separated by NUL bytes, each "<file name>\n<content>":
//   0002_instances.sql\n-- migrate:phase expand\nCREATE TABLE ...
// Checks, beyond not crashing:
//   - a parsed migration keeps name, text and checksum, its version agrees
//     with the file name, its directives hold the invariants the engine
//     relies on (transitions only in expand, complete-transition only in
//     contract and naming an earlier version, non-empty expressions);
//   - the statements are pieces of the text, in order;
//   - a set of files parses to migrations sorted by version, each undo file
//     attached to its migration;
//   - every error is InvalidRequest with a code and a message.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto.h"
#include "fuzz_check.h"
#include "migrate/linter.h"
#include "migrate/migration.h"
#include "migrate/plan.h"
#include "migrate/sql_lexer.h"

namespace {

namespace migrate = payments::migrate;

void CheckError(const payments::Error& e) {
  FUZZ_CHECK(e.kind == payments::ErrorKind::kInvalidRequest);
  FUZZ_CHECK(!e.code.empty());
  FUZZ_CHECK(!e.message.empty());
}

void CheckMigration(const migrate::Migration& m, std::string_view filename,
                    std::string_view content) {
  FUZZ_CHECK(m.filename == filename);
  FUZZ_CHECK(m.sql == content);
  FUZZ_CHECK(m.checksum == payments::Sha256Hex(content));
  FUZZ_CHECK(m.version > 0);
  // "<digits>_<name>.sql" with the digits' value as the version.
  FUZZ_CHECK(filename.ends_with("_" + m.name + ".sql"));
  const std::string_view digits = filename.substr(0, filename.size() - m.name.size() - 5);
  int64_t version = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  FUZZ_CHECK(ec == std::errc() && ptr == digits.data() + digits.size() && version == m.version);
  FUZZ_CHECK(migrate::ParsePhase(migrate::ToString(m.phase)) == m.phase);

  // The statements are the text's, in order (fuzz/sql_lexer_fuzzer.cpp checks the rest).
  size_t previous_end = 0;
  for (const migrate::Statement& s : m.statements) {
    FUZZ_CHECK(!s.tokens.empty() && s.tokens.front().offset >= previous_end);
    FUZZ_CHECK(content.substr(s.tokens.front().offset, s.sql.size()) == s.sql);
    previous_end = s.tokens.back().end;
  }

  if (m.lock_timeout) FUZZ_CHECK(m.lock_timeout->count() >= 0);
  if (m.statement_timeout) FUZZ_CHECK(m.statement_timeout->count() >= 0);
  for (const migrate::Backfill& b : m.backfills) {
    FUZZ_CHECK(!b.table.empty() && !b.set.empty() && b.line >= 1);
  }
  if (!m.transitions.empty()) FUZZ_CHECK(m.phase == migrate::Phase::kExpand);
  for (const migrate::Transition& t : m.transitions) {
    FUZZ_CHECK(!t.table.empty() && !t.new_columns.empty() && !t.old_columns.empty());
    for (const auto& c : t.new_columns) {
      FUZZ_CHECK(!c.name.empty() && !c.type.empty() && !c.expression.empty());
    }
    for (const auto& c : t.old_columns) FUZZ_CHECK(!c.name.empty() && !c.expression.empty());
  }
  if (!m.complete_transitions.empty()) FUZZ_CHECK(m.phase == migrate::Phase::kContract);
  for (int64_t v : m.complete_transitions) FUZZ_CHECK(v > 0 && v < m.version);
}

// What the engine and `migrate lint` do with a parsed migration, short of a database.
void Consume(const migrate::Migration& m) {
  if (auto up = migrate::PlanUp(m); !up) CheckError(up.error());
  if (auto down = migrate::PlanDown(m); !down) CheckError(down.error());
  for (const migrate::BackfillSpec& b : migrate::PlanBackfills(m)) {
    FUZZ_CHECK(!b.table.empty() && !b.set.empty());
  }
  std::vector<migrate::LintInput> inputs = {{&m, m.filename, true}};
  for (const migrate::LintFinding& f : migrate::Lint(inputs)) {
    FUZZ_CHECK(!f.rule.empty() && !f.message.empty());
    FUZZ_CHECK(!f.ToString().empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<migrate::EmbeddedFile> files;
  size_t start = 0;
  while (start <= input.size()) {
    size_t end = input.find('\0', start);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view file = input.substr(start, end - start);
    const size_t newline = file.find('\n');
    files.push_back({file.substr(0, newline),
                     newline == std::string_view::npos ? "" : file.substr(newline + 1)});
    start = end + 1;
  }

  if (files.size() == 1) {
    const auto m = migrate::ParseMigration(files[0].name, files[0].content);
    if (m) {
      CheckMigration(*m, files[0].name, files[0].content);
      Consume(*m);
    } else {
      CheckError(m.error());
    }
    return 0;
  }

  const auto all = migrate::ParseMigrationFiles(files);
  if (!all) {
    CheckError(all.error());
    return 0;
  }
  FUZZ_CHECK(all->size() <= files.size());
  for (size_t i = 0; i < all->size(); ++i) {
    const migrate::Migration& m = (*all)[i];
    if (i > 0) FUZZ_CHECK((*all)[i - 1].version < m.version);
    if (m.down_sql) {
      const migrate::LexResult down = migrate::SplitStatements(*m.down_sql);
      FUZZ_CHECK(down.error.empty() && down.statements.size() == m.down_statements.size());
    }
    FUZZ_CHECK(!m.down_sql || m.reversible());
  }
  for (const migrate::Migration& m : *all) Consume(m);
  return 0;
}
