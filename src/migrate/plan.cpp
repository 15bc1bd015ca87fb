#include "migrate/plan.h"

#include <fmt/format.h>

#include "db/connection.h"

namespace payments::migrate {
namespace {

using db::QuoteIdentifier;

std::string QuoteTable(const std::string& table) { return QuoteTableName(table); }

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

std::string LineRange(int first, int last) {
  return first == last ? fmt::format("line {}", first) : fmt::format("lines {}-{}", first, last);
}

payments::Result<std::vector<Step>> PlanStatements(const std::string& filename,
                                                   const std::vector<Statement>& statements) {
  std::vector<Step> steps;
  for (const Statement& s : statements) {
    if (IsTransactionControl(s)) {
      return std::unexpected(Error::InvalidRequest(
          "transaction_control_in_migration",
          fmt::format("{}:{}: '{}' controls the transaction, which the engine does (each "
                      "migration runs in short transactions, concurrent statements on their own)",
                      filename, s.line, s.tokens.front().text)));
    }
    if (MustRunOnItsOwn(s)) {
      Step step;
      step.kind = StepKind::kOnItsOwn;
      step.statements.push_back({s.sql, s.line});
      const auto& t = s.tokens;
      std::string what;
      if (t[0].Is("ALTER")) {
        what = "ALTER TYPE ... ADD VALUE";
      } else {
        // "CREATE UNIQUE INDEX CONCURRENTLY", "REINDEX (VERBOSE) TABLE CONCURRENTLY", "VACUUM"
        for (size_t i = 0; i < t.size() && i < 8; ++i) {
          if (t[i].kind != TokenKind::kWord && !t[i].IsPunct('(') && !t[i].IsPunct(')')) break;
          what += (what.empty() || t[i].IsPunct(')') || what.back() == '(' ? "" : " ") +
                  UpperAscii(t[i].text);
          if (t[i].Is("CONCURRENTLY") || t[0].Is("VACUUM")) break;
        }
      }
      step.description =
          fmt::format("{} at line {} (on its own, outside a transaction)", what, s.line);
      // Names as SQL text for to_regclass: quoted names stay quoted.
      auto sql_name = [&](size_t i) {
        return t[i].kind == TokenKind::kQuotedName ? QuoteIdentifier(t[i].text) : t[i].text;
      };
      if (t[0].Is("CREATE")) {
        // CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON [ONLY] [schema.]table
        size_t i = 1;
        while (i < t.size() && !t[i].Is("CONCURRENTLY")) ++i;
        ++i;
        if (i + 2 < t.size() && t[i].Is("IF") && t[i + 1].Is("NOT") && t[i + 2].Is("EXISTS"))
          i += 3;
        if (i < t.size() && !t[i].Is("ON")) {
          step.index_name = sql_name(i);
          size_t k = i + 1;
          if (k < t.size() && t[k].Is("ON")) ++k;
          if (k < t.size() && t[k].Is("ONLY")) ++k;
          // The index lives in its table's schema.
          if (k + 2 < t.size() && t[k + 1].IsPunct('.')) {
            step.index_name = sql_name(k) + "." + step.index_name;
          }
        }
      } else if (t[0].Is("REINDEX")) {
        size_t i = 1;
        if (i < t.size() && t[i].IsPunct('(')) {
          while (i < t.size() && !t[i].IsPunct(')')) ++i;
          ++i;
        }
        if (i < t.size() && (t[i].Is("INDEX") || t[i].Is("TABLE"))) {
          step.reindex_index = t[i].Is("INDEX");
          ++i;
          if (i < t.size() && t[i].Is("CONCURRENTLY")) ++i;
          if (i < t.size()) step.reindex_target = sql_name(i);
          if (i + 2 < t.size() && t[i + 1].IsPunct('.')) {
            step.reindex_target += "." + sql_name(i + 2);
          }
        }
      }
      steps.push_back(std::move(step));
      continue;
    }
    if (steps.empty() || steps.back().kind != StepKind::kTransaction ||
        !steps.back().installs.empty()) {
      steps.push_back(Step{});
    }
    steps.back().statements.push_back({s.sql, s.line});
  }
  for (Step& step : steps) {
    if (step.kind != StepKind::kTransaction) continue;
    step.description =
        fmt::format("statements at {} (one transaction)",
                    LineRange(step.statements.front().line, step.statements.back().line));
  }
  return steps;
}

}  // namespace

std::string QuoteTableName(const std::string& table) {
  const size_t dot = table.find('.');
  if (dot == std::string::npos) return QuoteIdentifier(table);
  return QuoteIdentifier(table.substr(0, dot)) + "." + QuoteIdentifier(table.substr(dot + 1));
}

bool IsTransactionControl(const Statement& s) {
  const Token& t = s.tokens.front();
  return t.Is("BEGIN") || t.Is("COMMIT") || t.Is("ROLLBACK") || t.Is("ABORT") || t.Is("END") ||
         t.Is("SAVEPOINT") || t.Is("RELEASE") ||
         (t.Is("START") && s.tokens.size() > 1 && s.tokens[1].Is("TRANSACTION"));
}

bool MustRunOnItsOwn(const Statement& s) {
  const auto& t = s.tokens;
  auto has = [&](std::string_view word, size_t limit) {
    for (size_t i = 1; i < t.size() && i <= limit; ++i) {
      if (t[i].Is(word)) return true;
    }
    return false;
  };
  if (t.empty()) return false;
  if (t[0].Is("VACUUM")) return true;
  if (t[0].Is("CREATE") && t.size() > 2) {
    const size_t idx = t[1].Is("UNIQUE") ? 2 : 1;
    return t[idx].Is("INDEX") && idx + 1 < t.size() && t[idx + 1].Is("CONCURRENTLY");
  }
  if (t[0].Is("DROP") && t.size() > 2) return t[1].Is("INDEX") && t[2].Is("CONCURRENTLY");
  if (t[0].Is("REINDEX")) return has("CONCURRENTLY", t.size());
  if (t[0].Is("ALTER") && t.size() > 3 && t[1].Is("TYPE")) {
    for (size_t i = 2; i + 1 < t.size(); ++i) {
      if (t[i].Is("ADD") && t[i + 1].Is("VALUE")) return true;
    }
  }
  return false;
}

payments::Result<std::vector<Step>> PlanUp(const Migration& m) {
  std::vector<Step> steps;
  if (!m.complete_transitions.empty()) {
    Step step;
    step.description = fmt::format(
        "complete the transitions of {} (drop triggers and old columns, one transaction)",
        Join(
            [&] {
              std::vector<std::string> v;
              for (int64_t x : m.complete_transitions) v.push_back(FormatVersion(x));
              return v;
            }(),
            ", "));
    step.completes = m.complete_transitions;
    steps.push_back(std::move(step));
  }
  if (!m.transitions.empty()) {
    Step step;
    std::vector<std::string> tables;
    for (size_t i = 0; i < m.transitions.size(); ++i) {
      const Transition& t = m.transitions[i];
      step.installs.push_back(i);
      tables.push_back(t.table);
      for (PlannedStatement& s :
           InstallTransitionSql(DescribeTransition(m.version, static_cast<int>(i), t), t)) {
        step.statements.push_back(std::move(s));
      }
    }
    step.description =
        fmt::format("install the transition on {} (new columns and sync triggers, one transaction)",
                    Join(tables, ", "));
    steps.push_back(std::move(step));
  }
  auto body = PlanStatements(m.filename, m.statements);
  if (!body) return std::unexpected(body.error());
  for (Step& s : *body) steps.push_back(std::move(s));
  return steps;
}

payments::Result<std::vector<Step>> PlanDown(const Migration& m) {
  return PlanStatements(fmt::format("{}_{}.down.sql", FormatVersion(m.version), m.name),
                        m.down_statements);
}

std::vector<BackfillSpec> PlanBackfills(const Migration& m) {
  std::vector<BackfillSpec> out;
  int ordinal = 0;
  for (const Transition& t : m.transitions) {
    BackfillSpec b;
    b.ordinal = ordinal++;
    b.table = t.table;
    // Rewriting an old column to itself fires the trigger, which derives the
    // new columns. Rows the trigger already kept in step (any new column set)
    // are skipped: those are the rows written since the trigger went in.
    b.set = fmt::format("{0} = {0}", QuoteIdentifier(t.old_columns.front().name));
    std::vector<std::string> new_null;
    std::vector<std::string> old_set;
    for (const auto& c : t.new_columns) new_null.push_back(QuoteIdentifier(c.name) + " IS NULL");
    for (const auto& c : t.old_columns) old_set.push_back(QuoteIdentifier(c.name) + " IS NOT NULL");
    b.condition = fmt::format("{} AND ({})", Join(new_null, " AND "), Join(old_set, " OR "));
    b.origin = fmt::format("transition on {} at line {}", t.table, t.line);
    out.push_back(std::move(b));
  }
  for (const Backfill& d : m.backfills) {
    BackfillSpec b;
    b.ordinal = ordinal++;
    b.table = d.table;
    b.set = d.set;
    b.condition = d.condition;
    b.origin = fmt::format("backfill at line {}", d.line);
    out.push_back(std::move(b));
  }
  return out;
}

InstalledTransition DescribeTransition(int64_t version, int ordinal, const Transition& t) {
  InstalledTransition it;
  it.version = version;
  it.ordinal = ordinal;
  it.table = t.table;
  for (const auto& c : t.old_columns) it.old_columns.push_back(c.name);
  for (const auto& c : t.new_columns) it.new_columns.push_back(c.name);
  const size_t dot = t.table.find('.');
  const std::string schema = dot == std::string::npos ? "" : t.table.substr(0, dot);
  const std::string bare = dot == std::string::npos ? t.table : t.table.substr(dot + 1);
  std::string name = fmt::format("migrate_{}_{}_{}", FormatVersion(version), ordinal, bare);
  if (name.size() > 63) name.resize(63);
  it.trigger_name = name;
  it.function_name = schema.empty() ? name : schema + "." + name;
  return it;
}

std::vector<PlannedStatement> InstallTransitionSql(const InstalledTransition& it,
                                                   const Transition& t) {
  std::vector<std::string> adds;
  for (const auto& c : t.new_columns) {
    adds.push_back(fmt::format("ADD COLUMN {} {}", QuoteIdentifier(c.name), c.type));
  }
  std::vector<std::string> fwd_exprs, fwd_targets, new_null, new_changed;
  for (const auto& c : t.new_columns) {
    fwd_exprs.push_back("(" + c.expression + ")");
    fwd_targets.push_back("NEW." + QuoteIdentifier(c.name));
    new_null.push_back(fmt::format("NEW.{} IS NULL", QuoteIdentifier(c.name)));
    new_changed.push_back(fmt::format("NEW.{0} IS DISTINCT FROM OLD.{0}", QuoteIdentifier(c.name)));
  }
  std::vector<std::string> bwd_exprs, bwd_targets, old_changed;
  for (const auto& c : t.old_columns) {
    bwd_exprs.push_back("(" + c.expression + ")");
    bwd_targets.push_back("NEW." + QuoteIdentifier(c.name));
    old_changed.push_back(fmt::format("NEW.{0} IS DISTINCT FROM OLD.{0}", QuoteIdentifier(c.name)));
  }
  // The expressions name columns bare; evaluating them over "SELECT NEW.*"
  // resolves those names against the row being written.
  const std::string forward = fmt::format("SELECT {} INTO {} FROM (SELECT NEW.*) AS migrate_row;",
                                          Join(fwd_exprs, ", "), Join(fwd_targets, ", "));
  const std::string backward = fmt::format("SELECT {} INTO {} FROM (SELECT NEW.*) AS migrate_row;",
                                           Join(bwd_exprs, ", "), Join(bwd_targets, ", "));
  const std::string function = fmt::format(
      "CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $migrate$\n"
      "BEGIN\n"
      "  -- Written by migration {version}: keeps the old and new columns of {table} in step\n"
      "  -- whichever a binary writes. The new columns win when both change.\n"
      "  IF TG_OP = 'INSERT' THEN\n"
      "    IF {new_null} THEN\n"
      "      {forward}\n"
      "    ELSE\n"
      "      {backward}\n"
      "    END IF;\n"
      "  ELSIF {new_changed} THEN\n"
      "    {backward}\n"
      "  ELSIF {old_changed} OR ({new_null}) THEN\n"
      "    {forward}\n"
      "  END IF;\n"
      "  RETURN NEW;\n"
      "END\n"
      "$migrate$",
      fmt::arg("fn", QuoteTable(it.function_name)), fmt::arg("version", FormatVersion(it.version)),
      fmt::arg("table", it.table), fmt::arg("new_null", Join(new_null, " AND ")),
      fmt::arg("forward", forward), fmt::arg("backward", backward),
      fmt::arg("new_changed", Join(new_changed, " OR ")),
      fmt::arg("old_changed", Join(old_changed, " OR ")));
  return {
      {fmt::format("ALTER TABLE {} {}", QuoteTable(it.table), Join(adds, ", ")), t.line},
      {function, t.line},
      {fmt::format("CREATE TRIGGER {} BEFORE INSERT OR UPDATE ON {} FOR EACH ROW EXECUTE "
                   "FUNCTION {}()",
                   QuoteIdentifier(it.trigger_name), QuoteTable(it.table),
                   QuoteTable(it.function_name)),
       t.line},
  };
}

namespace {
std::vector<PlannedStatement> DropTransitionSql(const InstalledTransition& it,
                                                const std::vector<std::string>& columns) {
  std::vector<std::string> drops;
  for (const std::string& c : columns) {
    drops.push_back("DROP COLUMN IF EXISTS " + QuoteIdentifier(c));
  }
  return {
      {fmt::format("DROP TRIGGER IF EXISTS {} ON {}", QuoteIdentifier(it.trigger_name),
                   QuoteTable(it.table)),
       0},
      {fmt::format("DROP FUNCTION IF EXISTS {}()", QuoteTable(it.function_name)), 0},
      {fmt::format("ALTER TABLE {} {}", QuoteTable(it.table), Join(drops, ", ")), 0},
  };
}
}  // namespace

std::vector<PlannedStatement> CompleteTransitionSql(const InstalledTransition& it) {
  return DropTransitionSql(it, it.old_columns);
}

std::vector<PlannedStatement> RemoveTransitionSql(const InstalledTransition& it) {
  return DropTransitionSql(it, it.new_columns);
}

}  // namespace payments::migrate
