// About 590 lines, one file on purpose: every rule walks the same token spans
// with the same helpers (Span, ReadName, the ignore comments) and reads the
// same catalogue of what earlier files created; split by rule, each file
// would need those helpers in a header with no other user. The rules
// themselves are listed in linter.h.
#include "migrate/linter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "migrate/plan.h"

namespace payments::migrate {
namespace {

const std::vector<LintRule> kRules = {
    {"create-index-non-concurrent",
     "CREATE INDEX without CONCURRENTLY on an existing table blocks every write to it while the "
     "index builds",
     "CREATE INDEX CONCURRENTLY (the engine runs it outside a transaction)"},
    {"drop-index-non-concurrent",
     "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table",
     "DROP INDEX CONCURRENTLY IF EXISTS"},
    {"reindex-non-concurrent", "REINDEX without CONCURRENTLY blocks writes while it rebuilds",
     "REINDEX ... CONCURRENTLY"},
    {"add-column-volatile-default",
     "adding a column with a volatile default rewrites the whole table under an ACCESS EXCLUSIVE "
     "lock",
     "add the column without a default, backfill it with migrate:backfill, then SET DEFAULT in a "
     "later statement"},
    {"add-column-serial",
     "adding a serial or identity column rewrites the whole table under an ACCESS EXCLUSIVE lock",
     "add a nullable bigint column, backfill it with migrate:backfill, then attach a sequence "
     "with SET DEFAULT nextval(...)"},
    {"add-column-stored-generated",
     "adding a stored generated column rewrites the whole table under an ACCESS EXCLUSIVE lock",
     "add a plain column, backfill it with migrate:backfill and keep it current with a trigger "
     "(or a migrate:transition)"},
    {"set-not-null",
     "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock unless a validated CHECK "
     "(column IS NOT NULL) proves it",
     "ADD CONSTRAINT c CHECK (column IS NOT NULL) NOT VALID in one migration, VALIDATE CONSTRAINT "
     "c in a later one, then SET NOT NULL (and DROP CONSTRAINT c)"},
    {"constraint-without-not-valid",
     "adding a CHECK or FOREIGN KEY constraint to an existing table validates every row while "
     "holding a lock that blocks writes",
     "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration"},
    {"validate-in-same-migration",
     "VALIDATE CONSTRAINT in the same migration as its ADD ... NOT VALID runs in the same "
     "transaction, which still holds the ADD's lock during the scan",
     "move VALIDATE CONSTRAINT to a later migration"},
    {"alter-column-type",
     "ALTER COLUMN ... TYPE rewrites the table (and its indexes) under an ACCESS EXCLUSIVE lock, "
     "and old binaries may not read the new type",
     "a column transition: migrate:transition with migrate:new-column and migrate:old-column, "
     "then migrate:complete-transition in a contract migration"},
    {"add-unique-without-index", "ADD PRIMARY KEY or UNIQUE builds its index while blocking writes",
     "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... PRIMARY KEY / UNIQUE USING "
     "INDEX"},
    {"rename-outside-contract",
     "renaming a column or table breaks every running binary that still uses the old name",
     "a column transition (migrate:transition), or a rename in a contract migration once no "
     "binary uses the old name"},
    {"drop-outside-contract",
     "dropping a column or table breaks every running binary that still reads it",
     "stop using it in one release, then drop it in a migration with migrate:phase contract"},
    {"truncate-cascade",
     "TRUNCATE ... CASCADE silently empties every table that references this one",
     "name every table to truncate explicitly, or delete in batches"},
    {"int-key", "an int or smallint key runs out (2^31) and widening it later rewrites the table",
     "bigint (or bigint GENERATED ALWAYS AS IDENTITY, or text ids)"},
    {"timestamp-without-time-zone",
     "timestamp without time zone stores wall-clock time whose meaning depends on the session's "
     "TimeZone",
     "timestamptz"},
    {"char-n", "char(n) pads with blanks and is no faster than text",
     "text (with a CHECK on length if the length matters) or varchar(n)"},
    {"concurrent-in-transaction",
     "CONCURRENTLY statements and ALTER TYPE ... ADD VALUE cannot run inside a transaction block",
     "remove BEGIN/COMMIT: the engine runs such statements on their own"},
    {"transaction-control",
     "BEGIN, COMMIT and ROLLBACK in a migration fight the engine, which runs each migration in "
     "short transactions of its own",
     "remove the transaction control statements"},
    {"lint-ignore-without-reason",
     "a lint rule may be silenced only with a comment that says why (and names a real rule)",
     "-- migrate:lint-ignore <rule>: <why this statement is safe>"},
};

const std::set<std::string> kIntTypes = {"INT",    "INTEGER", "INT4",        "SMALLINT", "INT2",
                                         "SERIAL", "SERIAL4", "SMALLSERIAL", "SERIAL2"};
const std::set<std::string> kSerialTypes = {"SERIAL",    "SERIAL4",     "SERIAL8",
                                            "BIGSERIAL", "SMALLSERIAL", "SERIAL2"};
const std::set<std::string> kVolatileFunctions = {
    "RANDOM",           "GEN_RANDOM_UUID", "UUID_GENERATE_V1", "UUID_GENERATE_V1MC",
    "UUID_GENERATE_V4", "CLOCK_TIMESTAMP", "TIMEOFDAY",        "NEXTVAL",
    "GEN_RANDOM_BYTES", "RANDOM_NORMAL",   "TXID_CURRENT",     "SETSEED"};
// Words that end a column's type and start its constraints.
const std::set<std::string> kConstraintWords = {
    "NOT",        "NULL",      "DEFAULT", "PRIMARY", "REFERENCES", "CHECK",    "UNIQUE",
    "CONSTRAINT", "GENERATED", "COLLATE", "USING",   "DEFERRABLE", "INITIALLY"};

const LintRule& Rule(std::string_view id) {
  for (const LintRule& r : kRules) {
    if (r.id == id) return r;
  }
  return kRules.back();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A name as PostgreSQL folds it: unquoted words lower-cased.
std::string NameOf(const Token& t) {
  return t.kind == TokenKind::kQuotedName ? t.text : Lower(t.text);
}

using Tokens = std::vector<Token>;

// A token range [begin, end) of a statement.
struct Span {
  const Tokens* t;
  size_t begin;
  size_t end;
  size_t size() const { return end - begin; }
  const Token& operator[](size_t i) const { return (*t)[begin + i]; }
  bool Has(size_t i, std::string_view kw) const { return i < size() && (*this)[i].Is(kw); }
  bool HasSeq(size_t i, std::initializer_list<std::string_view> kws) const {
    for (std::string_view kw : kws) {
      if (!Has(i++, kw)) return false;
    }
    return true;
  }
  // Index of the first keyword at paren depth 0, or size().
  size_t Find(std::string_view kw, size_t from = 0) const {
    int depth = 0;
    for (size_t i = from; i < size(); ++i) {
      if ((*this)[i].IsPunct('(')) ++depth;
      if ((*this)[i].IsPunct(')')) --depth;
      if (depth == 0 && (*this)[i].Is(kw)) return i;
    }
    return size();
  }
  bool Contains(std::string_view kw) const { return Find(kw) < size(); }
  // Splits at commas at paren depth 0.
  std::vector<Span> SplitCommas() const {
    std::vector<Span> out;
    int depth = 0;
    size_t start = begin;
    for (size_t i = begin; i < end; ++i) {
      const Token& tok = (*t)[i];
      if (tok.IsPunct('(')) ++depth;
      if (tok.IsPunct(')')) --depth;
      if (depth == 0 && tok.IsPunct(',')) {
        out.push_back({t, start, i});
        start = i + 1;
      }
    }
    if (start < end) out.push_back({t, start, end});
    return out;
  }
  // The index one past the ')' matching the '(' at i.
  size_t SkipParens(size_t i) const {
    int depth = 0;
    for (; i < size(); ++i) {
      if ((*this)[i].IsPunct('(')) ++depth;
      if ((*this)[i].IsPunct(')') && --depth == 0) return i + 1;
    }
    return size();
  }
};

// Reads a possibly qualified name at i; returns the last component and moves i past it.
std::string ReadName(const Span& s, size_t& i) {
  if (i >= s.size()) return "";
  std::string name = NameOf(s[i]);
  ++i;
  while (i + 1 < s.size() && s[i].IsPunct('.')) {
    name = NameOf(s[i + 1]);
    i += 2;
  }
  return name;
}

struct Ignore {
  std::set<std::string> rules;
  std::vector<std::pair<int, std::string>> problems;  // line, message
};

Ignore ReadIgnores(const Statement& st) {
  Ignore out;
  for (const Comment& c : st.comments) {
    if (!c.text.starts_with("migrate:lint-ignore")) continue;
    std::string_view rest = std::string_view(c.text).substr(19);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    // "<rule>[,<rule>...]: <reason>"
    const size_t colon = rest.find(':');
    std::string_view names = rest.substr(0, colon);
    std::string_view reason = colon == std::string_view::npos ? "" : rest.substr(colon + 1);
    while (!reason.empty() && reason.front() == ' ') reason.remove_prefix(1);
    std::vector<std::string> rules;
    size_t pos = 0;
    while (pos <= names.size()) {
      size_t comma = names.find(',', pos);
      if (comma == std::string_view::npos) comma = names.size();
      std::string r(names.substr(pos, comma - pos));
      r.erase(std::remove(r.begin(), r.end(), ' '), r.end());
      if (!r.empty()) rules.push_back(r);
      pos = comma + 1;
    }
    bool ok = !rules.empty();
    for (const std::string& r : rules) {
      if (std::none_of(kRules.begin(), kRules.end(),
                       [&](const LintRule& k) { return k.id == r; })) {
        out.problems.push_back({c.line, fmt::format("'{}' is not a lint rule", r)});
        ok = false;
      }
    }
    // A reason is a few words, not a token gesture.
    if (std::count(reason.begin(), reason.end(), ' ') < 2) {
      out.problems.push_back(
          {c.line, "the comment must say why the statement is safe (after a colon, a few words)"});
      ok = false;
    }
    if (ok) out.rules.insert(rules.begin(), rules.end());
  }
  return out;
}

// What the linter knows across files.
struct Context {
  // constraint name -> (table, column) for CHECK (column IS NOT NULL)
  std::map<std::string, std::pair<std::string, std::string>> not_null_checks;
  std::set<std::pair<std::string, std::string>> proven_not_null;
};

class FileLinter {
 public:
  FileLinter(const LintInput& in, Context& ctx, std::vector<LintFinding>& out)
      : in_(in), m_(*in.migration), ctx_(ctx), out_(out) {}

  void Run() {
    for (const Statement& st : m_.statements) {
      st_ = &st;
      ignore_ = ReadIgnores(st);
      for (const auto& [line, message] : ignore_.problems) {
        Add("lint-ignore-without-reason", line, message);
      }
      Span s{&st.tokens, 0, st.tokens.size()};
      Statement_(s);
    }
  }

 private:
  void Add(std::string_view rule, int line, std::string message) {
    if (!in_.report || ignore_.rules.contains(std::string(rule))) return;
    const LintRule& r = Rule(rule);
    out_.push_back(
        {in_.path, line, std::string(rule), std::move(message), std::string(r.alternative)});
  }

  bool IsNew(const std::string& table) const { return new_tables_.contains(table); }
  bool InContract() const { return m_.phase == Phase::kContract; }

  void Statement_(const Span& s) {
    const Token& first = s[0];
    if (IsTransactionControl(*st_)) {
      Add("transaction-control", first.line,
          fmt::format("{} in a migration file", UpperAscii(first.text)));
      if (first.Is("BEGIN") || first.Is("START")) {
        in_block_ = true;
      } else if (!first.Is("SAVEPOINT") && !first.Is("RELEASE")) {
        in_block_ = false;
      }
      return;
    }
    if (in_block_ && MustRunOnItsOwn(*st_)) {
      Add("concurrent-in-transaction", first.line,
          fmt::format("{}{} inside BEGIN ... COMMIT fails: it cannot run in a transaction block",
                      UpperAscii(first.text), s.size() > 1 ? " " + UpperAscii(s[1].text) : ""));
    }
    if (s.Has(0, "CREATE")) {
      size_t i = 1;
      if (s.HasSeq(i, {"OR", "REPLACE"})) i += 2;
      if (s.Has(i, "UNIQUE")) ++i;
      if (s.Has(i, "INDEX")) return CreateIndex(s, i + 1);
      while (s.Has(i, "UNLOGGED") || s.Has(i, "TEMP") || s.Has(i, "TEMPORARY")) ++i;
      if (s.Has(i, "TABLE")) return CreateTable(s, i + 1);
      return;
    }
    if (s.HasSeq(0, {"DROP", "INDEX"})) return DropIndex(s);
    if (s.HasSeq(0, {"DROP", "TABLE"})) return DropTable(s);
    if (s.Has(0, "REINDEX") && !s.Contains("CONCURRENTLY")) {
      Add("reindex-non-concurrent", first.line, "REINDEX without CONCURRENTLY");
      return;
    }
    if (s.Has(0, "TRUNCATE") && s.Contains("CASCADE")) {
      Add("truncate-cascade", first.line, "TRUNCATE ... CASCADE");
      return;
    }
    if (s.HasSeq(0, {"ALTER", "TABLE"})) return AlterTable(s);
  }

  void CreateIndex(const Span& s, size_t i) {
    const bool concurrently = s.Has(i, "CONCURRENTLY");
    if (concurrently) ++i;
    if (s.HasSeq(i, {"IF", "NOT", "EXISTS"})) i += 3;
    if (i < s.size() && !s.Has(i, "ON")) new_indexes_.insert(NameOf(s[i++]));
    if (!s.Has(i, "ON")) return;
    ++i;
    if (s.Has(i, "ONLY")) ++i;
    const std::string table = ReadName(s, i);
    if (!concurrently && !IsNew(table)) {
      Add("create-index-non-concurrent", s[0].line,
          fmt::format("CREATE INDEX on existing table {} without CONCURRENTLY", table));
    }
  }

  void DropIndex(const Span& s) {
    size_t i = 2;
    const bool concurrently = s.Has(i, "CONCURRENTLY");
    if (concurrently) ++i;
    if (s.HasSeq(i, {"IF", "EXISTS"})) i += 2;
    bool all_new = true;
    for (const Span& name : Span{s.t, s.begin + i, s.end}.SplitCommas()) {
      size_t k = 0;
      if (!new_indexes_.contains(ReadName(name, k))) all_new = false;
    }
    if (!concurrently && !all_new) {
      Add("drop-index-non-concurrent", s[0].line, "DROP INDEX without CONCURRENTLY");
    }
  }

  void DropTable(const Span& s) {
    size_t i = 2;
    if (s.HasSeq(i, {"IF", "EXISTS"})) i += 2;
    size_t end = s.Find("CASCADE", i);
    end = std::min(end, s.Find("RESTRICT", i));
    for (const Span& name : Span{s.t, s.begin + i, s.begin + end}.SplitCommas()) {
      size_t k = 0;
      const std::string table = ReadName(name, k);
      if (!IsNew(table) && !InContract()) {
        Add("drop-outside-contract", s[0].line,
            fmt::format("DROP TABLE {} in a migration that is not a contract", table));
      }
    }
  }

  void CreateTable(const Span& s, size_t i) {
    if (s.HasSeq(i, {"IF", "NOT", "EXISTS"})) i += 3;
    const std::string table = ReadName(s, i);
    new_tables_.insert(table);
    if (i >= s.size() || !s[i].IsPunct('(')) return;  // AS ..., PARTITION OF ...
    const size_t close = s.SkipParens(i);
    const Span body{s.t, s.begin + i + 1, s.begin + close - 1};
    std::set<std::string> keys;
    std::vector<Span> columns;
    for (const Span& el : body.SplitCommas()) {
      if (el.size() == 0) continue;
      if (el.Has(0, "CONSTRAINT") || el.Has(0, "PRIMARY") || el.Has(0, "FOREIGN") ||
          el.Has(0, "UNIQUE")) {
        size_t k = el.Has(0, "CONSTRAINT") ? 2 : 0;
        if (el.HasSeq(k, {"PRIMARY", "KEY"}) || el.HasSeq(k, {"FOREIGN", "KEY"})) {
          k += 2;
          if (k < el.size() && el[k].IsPunct('(')) {
            const size_t end = el.SkipParens(k);
            for (size_t c = k + 1; c + 1 < end; ++c) {
              if (!el[c].IsPunct(',')) keys.insert(NameOf(el[c]));
            }
          }
        }
        continue;
      }
      if (el.Has(0, "CHECK") || el.Has(0, "EXCLUDE") || el.Has(0, "LIKE")) continue;
      columns.push_back(el);
    }
    for (const Span& col : columns) {
      const std::string name = NameOf(col[0]);
      const bool key = keys.contains(name) || col.HasSeq(col.Find("PRIMARY"), {"PRIMARY", "KEY"}) ||
                       col.Contains("REFERENCES");
      ColumnType(col, 1, name, key);
    }
  }

  // Checks the type at col[i]: int keys, timestamp, char(n).
  void ColumnType(const Span& col, size_t i, const std::string& column, bool key) {
    if (i >= col.size()) return;
    const std::string type = UpperAscii(col[i].text);
    const int line = col[i].line;
    if (key && kIntTypes.contains(type)) {
      Add("int-key", line, fmt::format("key column {} is {}", column, Lower(type)));
    }
    if (type == "TIMESTAMP") {
      size_t k = i + 1;
      if (k < col.size() && col[k].IsPunct('(')) k = col.SkipParens(k);
      if (!col.HasSeq(k, {"WITH", "TIME", "ZONE"})) {
        Add("timestamp-without-time-zone", line,
            fmt::format("column {} is timestamp without time zone", column));
      }
    }
    if ((type == "CHAR" || type == "CHARACTER" || type == "BPCHAR") && !col.Has(i + 1, "VARYING")) {
      Add("char-n", line, fmt::format("column {} is {}", column, Lower(type)));
    }
  }

  void AlterTable(const Span& s) {
    size_t i = 2;
    if (s.HasSeq(i, {"IF", "EXISTS"})) i += 2;
    if (s.Has(i, "ONLY")) ++i;
    const std::string table = ReadName(s, i);
    for (const Span& action : Span{s.t, s.begin + i, s.end}.SplitCommas()) {
      Action(table, action);
    }
  }

  void Action(const std::string& table, const Span& a) {
    if (a.size() == 0) return;
    const int line = a[0].line;
    const bool is_new = IsNew(table);
    if (a.Has(0, "RENAME")) {
      if (a.Has(1, "CONSTRAINT")) return;
      if (!is_new && !InContract()) {
        Add("rename-outside-contract", line,
            a.Has(1, "TO")
                ? fmt::format("RENAME of table {} outside a contract migration", table)
                : fmt::format("RENAME COLUMN on {} outside a contract migration", table));
      }
      return;
    }
    if (a.Has(0, "DROP")) {
      if (a.Has(1, "CONSTRAINT")) return;
      if (!is_new && !InContract()) {
        size_t k = a.Has(1, "COLUMN") ? 2 : 1;
        if (a.HasSeq(k, {"IF", "EXISTS"})) k += 2;
        Add("drop-outside-contract", line,
            fmt::format("DROP COLUMN {}.{} outside a contract migration", table,
                        k < a.size() ? NameOf(a[k]) : ""));
      }
      return;
    }
    if (a.Has(0, "VALIDATE") && a.Has(1, "CONSTRAINT") && a.size() > 2) {
      const std::string name = NameOf(a[2]);
      if (not_valid_here_.contains(name)) {
        Add("validate-in-same-migration", line,
            fmt::format("VALIDATE CONSTRAINT {} in the migration that added it NOT VALID", name));
      }
      if (auto it = ctx_.not_null_checks.find(name); it != ctx_.not_null_checks.end()) {
        ctx_.proven_not_null.insert(it->second);
      }
      return;
    }
    if (a.Has(0, "ALTER")) {
      size_t k = a.Has(1, "COLUMN") ? 2 : 1;
      if (k >= a.size()) return;
      const std::string column = NameOf(a[k]);
      ++k;
      if (a.HasSeq(k, {"SET", "NOT", "NULL"})) {
        if (!is_new && !ctx_.proven_not_null.contains({table, column})) {
          Add("set-not-null", line,
              fmt::format("SET NOT NULL on {}.{} without a validated CHECK ({} IS NOT NULL)", table,
                          column, column));
        }
        return;
      }
      if (a.HasSeq(k, {"SET", "DATA", "TYPE"})) k += 2;
      if (a.Has(k, "TYPE")) {
        if (!is_new) {
          Add("alter-column-type", line,
              fmt::format("ALTER COLUMN {}.{} TYPE on an existing table", table, column));
        }
        ColumnType(a, k + 1, column, false);
      }
      return;
    }
    if (a.Has(0, "ADD")) {
      size_t k = 1;
      std::string constraint;
      if (a.Has(k, "CONSTRAINT")) {
        constraint = k + 1 < a.size() ? NameOf(a[k + 1]) : "";
        k += 2;
      }
      if (a.Has(k, "CHECK") || a.HasSeq(k, {"FOREIGN", "KEY"})) {
        return AddConstraint(table, a, k, constraint);
      }
      if (a.HasSeq(k, {"PRIMARY", "KEY"}) || a.Has(k, "UNIQUE")) {
        if (!is_new && !a.Contains("USING")) {
          Add("add-unique-without-index", line,
              fmt::format("ADD {} on existing table {} builds its index under lock",
                          a.Has(k, "UNIQUE") ? "UNIQUE" : "PRIMARY KEY", table));
        }
        return;
      }
      if (a.Has(k, "EXCLUDE")) return;
      if (a.Has(k, "COLUMN")) ++k;
      if (a.HasSeq(k, {"IF", "NOT", "EXISTS"})) k += 3;
      return AddColumn(table, Span{a.t, a.begin + std::min(k, a.size()), a.end}, line);
    }
  }

  void AddConstraint(const std::string& table, const Span& a, size_t k,
                     const std::string& constraint) {
    const int line = a[0].line;
    const size_t valid = a.Find("VALID");
    const bool not_valid = valid < a.size() && valid > 0 && a[valid - 1].Is("NOT");
    if (a.Has(k, "CHECK") && k + 1 < a.size() && a[k + 1].IsPunct('(')) {
      // CHECK (column IS NOT NULL): what lets a later SET NOT NULL skip its scan.
      const size_t end = a.SkipParens(k + 1);
      if (end == k + 7 && a.HasSeq(k + 3, {"IS", "NOT", "NULL"}) && !constraint.empty()) {
        const std::pair<std::string, std::string> column{table, NameOf(a[k + 2])};
        ctx_.not_null_checks[constraint] = column;
        if (!not_valid) ctx_.proven_not_null.insert(column);
      }
    }
    if (not_valid) {
      not_valid_here_.insert(constraint);
    } else if (!IsNew(table)) {
      Add("constraint-without-not-valid", line,
          fmt::format("ADD {} on existing table {} without NOT VALID",
                      a.Has(k, "CHECK") ? "CHECK" : "FOREIGN KEY", table));
    }
  }

  void AddColumn(const std::string& table, const Span& col, int line) {
    if (col.size() == 0) return;
    const std::string column = NameOf(col[0]);
    const bool key = col.Contains("PRIMARY") || col.Contains("REFERENCES");
    ColumnType(col, 1, column, key);
    if (IsNew(table)) return;
    const std::string type = col.size() > 1 ? UpperAscii(col[1].text) : "";
    if (kSerialTypes.contains(type) || (col.Contains("GENERATED") && col.Contains("IDENTITY"))) {
      Add("add-column-serial", line,
          fmt::format("ADD COLUMN {}.{} as serial or identity on an existing table", table,
                      column));
    }
    if (col.Contains("GENERATED") && col.Contains("STORED")) {
      Add("add-column-stored-generated", line,
          fmt::format("ADD COLUMN {}.{} GENERATED ... STORED on an existing table", table, column));
    }
    if (const size_t d = col.Find("DEFAULT"); d < col.size()) {
      for (size_t i = d + 1; i + 1 < col.size(); ++i) {
        if (col[i].kind == TokenKind::kWord && col[i + 1].IsPunct('(') &&
            kVolatileFunctions.contains(UpperAscii(col[i].text))) {
          Add("add-column-volatile-default", line,
              fmt::format("ADD COLUMN {}.{} DEFAULT {}() (volatile) on an existing table", table,
                          column, Lower(col[i].text)));
          break;
        }
      }
    }
    if (col.Contains("REFERENCES") || col.Contains("CHECK")) {
      Add("constraint-without-not-valid", line,
          fmt::format("ADD COLUMN {}.{} with an inline {} constraint on an existing table", table,
                      column, col.Contains("CHECK") ? "CHECK" : "REFERENCES"));
    }
    if (col.Contains("UNIQUE") || col.Contains("PRIMARY")) {
      Add("add-unique-without-index", line,
          fmt::format("ADD COLUMN {}.{} with an inline {} constraint on an existing table", table,
                      column, col.Contains("UNIQUE") ? "UNIQUE" : "PRIMARY KEY"));
    }
  }

  const LintInput& in_;
  const Migration& m_;
  Context& ctx_;
  std::vector<LintFinding>& out_;
  const Statement* st_ = nullptr;
  Ignore ignore_;
  bool in_block_ = false;
  std::set<std::string> new_tables_;
  std::set<std::string> new_indexes_;
  std::set<std::string> not_valid_here_;
};

}  // namespace

const std::vector<LintRule>& LintRules() { return kRules; }

std::string LintFinding::ToString() const {
  return fmt::format("{}:{}: {}: {}. Instead: {}", file, line, rule, message, alternative);
}

std::vector<LintFinding> Lint(const std::vector<LintInput>& inputs) {
  std::vector<LintFinding> out;
  Context ctx;
  for (const LintInput& in : inputs) FileLinter(in, ctx, out).Run();
  return out;
}

}  // namespace payments::migrate
