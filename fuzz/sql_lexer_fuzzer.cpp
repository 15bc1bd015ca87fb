// Fuzzes migrate::SplitStatements (migrate/sql_lexer.h) with arbitrary bytes
// as a migration script. Beyond not crashing, it checks that
//   - tokens lie inside the script, in order, without overlapping, each with
//     the line it starts on and its text as written (quoted names unescaped);
//   - what lies between tokens is only whitespace, ';' and comments, and a ';'
//     there separates statements exactly when it separates their tokens
//     (so the tokens and comments cover the input);
//   - a statement's sql is the source from its first token to its last, and
//     lexing that text alone gives the same tokens (positions shifted);
//   - an error carries a message and a line within the script.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "migrate/sql_lexer.h"

namespace {

using payments::migrate::LexResult;
using payments::migrate::SplitStatements;
using payments::migrate::Statement;
using payments::migrate::Token;
using payments::migrate::TokenKind;

// The line of each offset, from the positions of the line breaks.
class Lines {
 public:
  explicit Lines(std::string_view s) {
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\n') breaks_.push_back(i);
    }
  }
  int At(size_t offset) const {
    return 1 + static_cast<int>(std::lower_bound(breaks_.begin(), breaks_.end(), offset) -
                                breaks_.begin());
  }
  int Count() const { return 1 + static_cast<int>(breaks_.size()); }

 private:
  std::vector<size_t> breaks_;
};

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Checks that a gap between tokens holds only whitespace, ';' and complete
// comments; returns the number of ';' outside comments.
int CheckGap(std::string_view gap) {
  int semicolons = 0;
  size_t i = 0;
  while (i < gap.size()) {
    if (IsSpace(gap[i])) {
      ++i;
    } else if (gap[i] == ';') {
      ++semicolons;
      ++i;
    } else if (gap.substr(i).starts_with("--")) {
      const size_t nl = gap.find('\n', i);
      i = nl == std::string_view::npos ? gap.size() : nl;
    } else if (gap.substr(i).starts_with("/*")) {
      int depth = 0;
      bool closed = false;
      while (i < gap.size() && !closed) {
        if (gap.substr(i).starts_with("/*")) {
          ++depth;
          i += 2;
        } else if (gap.substr(i).starts_with("*/")) {
          i += 2;
          closed = --depth == 0;
        } else {
          ++i;
        }
      }
      FUZZ_CHECK_MSG(closed, gap);
    } else {
      payments::fuzz::CheckFailed("a byte outside every token and comment", gap, __FILE__,
                                  __LINE__);
    }
  }
  return semicolons;
}

void CheckToken(std::string_view script, const Lines& lines, const Token& t) {
  FUZZ_CHECK(t.offset < t.end);
  FUZZ_CHECK(t.end <= script.size());
  FUZZ_CHECK(t.line == lines.At(t.offset));
  const std::string_view source = script.substr(t.offset, t.end - t.offset);
  switch (t.kind) {
    case TokenKind::kQuotedName: {
      FUZZ_CHECK(source.size() >= 2 && source.front() == '"' && source.back() == '"');
      std::string escaped;
      for (char c : t.text) {
        escaped += c;
        if (c == '"') escaped += '"';
      }
      FUZZ_CHECK(escaped == source.substr(1, source.size() - 2));
      return;
    }
    case TokenKind::kPunct:
      FUZZ_CHECK(source.size() == 1 && source[0] != ';');
      break;
    case TokenKind::kNumber:
      FUZZ_CHECK(std::isdigit(static_cast<unsigned char>(source[0])));
      break;
    case TokenKind::kWord:
      // Keywords are ASCII; a word of ASCII letters is its upper-case keyword.
      if (std::all_of(t.text.begin(), t.text.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
        FUZZ_CHECK(t.Is(payments::migrate::UpperAscii(t.text)));
      }
      break;
    case TokenKind::kString:
      break;
  }
  FUZZ_CHECK(t.text == source);
}

// Lexing one statement's sql on its own gives its tokens again.
void CheckRelex(const Statement& s) {
  const LexResult again = SplitStatements(s.sql);
  FUZZ_CHECK(again.error.empty());
  FUZZ_CHECK(again.statements.size() == 1);
  const Statement& r = again.statements[0];
  FUZZ_CHECK(r.sql == s.sql);
  FUZZ_CHECK(r.tokens.size() == s.tokens.size());
  const size_t base = s.tokens.front().offset;
  for (size_t i = 0; i < r.tokens.size(); ++i) {
    FUZZ_CHECK(r.tokens[i].kind == s.tokens[i].kind);
    FUZZ_CHECK(r.tokens[i].text == s.tokens[i].text);
    FUZZ_CHECK(r.tokens[i].offset + base == s.tokens[i].offset);
    FUZZ_CHECK(r.tokens[i].line + s.line - 1 == s.tokens[i].line);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view script(reinterpret_cast<const char*>(data), size);
  const LexResult result = SplitStatements(script);
  const Lines lines(script);

  if (!result.error.empty()) {
    FUZZ_CHECK(result.error_line >= 1 && result.error_line <= lines.Count());
  }
  size_t previous_end = 0;
  for (size_t si = 0; si < result.statements.size(); ++si) {
    const Statement& s = result.statements[si];
    FUZZ_CHECK(!s.tokens.empty());
    FUZZ_CHECK(s.line == s.tokens.front().line);
    const size_t first = s.tokens.front().offset;
    FUZZ_CHECK(s.sql == script.substr(first, s.tokens.back().end - first));
    for (size_t ti = 0; ti < s.tokens.size(); ++ti) {
      const Token& t = s.tokens[ti];
      CheckToken(script, lines, t);
      const bool first_of_script = si == 0 && ti == 0;
      FUZZ_CHECK(first_of_script || previous_end <= t.offset);
      const int semicolons = CheckGap(script.substr(previous_end, t.offset - previous_end));
      // A ';' between two tokens ends a statement, and only a ';' does.
      if (!first_of_script) FUZZ_CHECK((semicolons > 0) == (ti == 0));
      previous_end = t.end;
    }
    CheckRelex(s);
  }
  // After the last token: whitespace, ';' and comments, unless the script
  // ended inside something (then the partial statement is dropped).
  if (result.error.empty()) CheckGap(script.substr(previous_end));
  return 0;
}
