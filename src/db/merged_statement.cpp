#include "db/merged_statement.h"

#include <fmt/format.h>

#include <cassert>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

namespace payments::db {
namespace {

// Index just past the parenthesized group that opens at `at`, skipping
// quoted literals; npos if it never closes.
size_t PastGroup(std::string_view sql, size_t at) {
  int depth = 0;
  bool quoted = false;
  for (size_t i = at; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quoted) {
      if (c == '\'') quoted = false;  // '' reopens at once: still right
      continue;
    }
    if (c == '\'') {
      quoted = true;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')' && --depth == 0) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

size_t SkipSpaces(std::string_view sql, size_t i) {
  while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
  return i;
}

// Calls f(number, begin, end) for every $n outside quoted literals.
template <typename F>
void ForEachParameter(std::string_view sql, F f) {
  bool quoted = false;
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] == '\'') quoted = !quoted;
    if (quoted || sql[i] != '$') continue;
    size_t end = i + 1;
    int number = 0;
    while (end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end]))) {
      number = number * 10 + (sql[end] - '0');
      ++end;
    }
    if (end > i + 1) f(number, i, end);
  }
}

bool HasParameter(std::string_view sql) {
  bool found = false;
  ForEachParameter(sql, [&](int, size_t, size_t) { found = true; });
  return found;
}

std::string Renumbered(std::string_view rows, int offset) {
  std::string out;
  out.reserve(rows.size() + rows.size() / 8);
  size_t copied = 0;
  ForEachParameter(rows, [&](int number, size_t begin, size_t end) {
    out.append(rows.substr(copied, begin - copied));
    fmt::format_to(std::back_inserter(out), "${}", number + offset);
    copied = end;
  });
  out.append(rows.substr(copied));
  return out;
}

}  // namespace

std::optional<std::string> RepeatValues(std::string_view sql, int n) {
  if (n < 1) return std::nullopt;
  const size_t keyword = sql.find("VALUES");
  if (keyword == std::string_view::npos) return std::nullopt;
  const size_t begin = SkipSpaces(sql, keyword + 6);
  if (begin >= sql.size() || sql[begin] != '(') return std::nullopt;
  // The list: one or more groups separated by commas.
  size_t end = PastGroup(sql, begin);
  while (end != std::string_view::npos) {
    const size_t comma = SkipSpaces(sql, end);
    if (comma >= sql.size() || sql[comma] != ',') break;
    const size_t next = SkipSpaces(sql, comma + 1);
    if (next >= sql.size() || sql[next] != '(') break;
    end = PastGroup(sql, next);
  }
  if (end == std::string_view::npos) return std::nullopt;

  const std::string_view head = sql.substr(0, begin);
  const std::string_view rows = sql.substr(begin, end - begin);
  const std::string_view tail = sql.substr(end);
  if (HasParameter(head) || HasParameter(tail)) return std::nullopt;
  int highest = 0;
  ForEachParameter(rows, [&](int number, size_t, size_t) { highest = std::max(highest, number); });
  if (highest == 0) return std::nullopt;

  std::string out(head);
  out.append(rows);
  for (int k = 1; k < n; ++k) {
    out.append(", ");
    out.append(Renumbered(rows, k * highest));
  }
  out.append(tail);
  return out;
}

const Statement* Merged(const Statement& one, int n) {
  assert(one.mergeable && n >= 1);
  if (!one.mergeable || n < 1) return nullptr;
  if (n == 1) return &one;
  struct Form {
    std::string name;
    std::string sql;
    Statement statement;
  };
  static std::mutex mu;
  static std::map<std::pair<std::string_view, int>, std::unique_ptr<Form>> forms;
  std::lock_guard lock(mu);
  auto& form = forms[{one.name, n}];
  if (!form) {
    auto sql = RepeatValues(one.sql, n);
    assert(sql && "a mergeable statement has all its parameters in its VALUES list");
    if (!sql) return nullptr;
    form = std::make_unique<Form>();
    form->name = fmt::format("{}*{}", one.name, n);
    form->sql = std::move(*sql);
    form->statement = Statement{form->name, form->sql, true};
  }
  return &form->statement;
}

std::vector<int> MergeChunks(int n) {
  std::vector<int> out;
  for (int bit = 1 << 30; bit > 0; bit >>= 1) {
    if (n & bit) out.push_back(bit);
  }
  return out;
}

}  // namespace payments::db
