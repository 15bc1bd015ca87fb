#include "migrate/sql_lexer.h"

#include <cctype>

namespace payments::migrate {
namespace {

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsIdentChar(char c) {
  return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}

std::string Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  LexResult Run() {
    LexResult out;
    Statement current;
    while (pos_ < src_.size()) {
      const char c = src_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
        continue;
      }
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
        continue;
      }
      if (c == '-' && Peek(1) == '-') {
        const size_t start = pos_ + 2;
        while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
        current.comments.push_back({Trim(src_.substr(start, pos_ - start)), line_});
        continue;
      }
      if (c == '/' && Peek(1) == '*') {
        const int line = line_;
        const size_t start = pos_ + 2;
        if (!SkipBlockComment()) return Fail(out, "unterminated /* comment", line);
        current.comments.push_back({Trim(src_.substr(start, pos_ - 2 - start)), line});
        continue;
      }
      Token t;
      t.line = line_;
      t.offset = pos_;
      if (c == ';') {
        ++pos_;
        if (!current.tokens.empty()) {
          Finish(current);
          out.statements.push_back(std::move(current));
        }
        current = Statement{};
        continue;
      }
      if (c == '\'') {
        if (!SkipQuoted('\'', false)) return Fail(out, "unterminated string literal", t.line);
        t.kind = TokenKind::kString;
      } else if ((c == 'E' || c == 'e') && Peek(1) == '\'') {
        ++pos_;
        if (!SkipQuoted('\'', true)) return Fail(out, "unterminated string literal", t.line);
        t.kind = TokenKind::kString;
      } else if (c == '"') {
        if (!SkipQuoted('"', false)) return Fail(out, "unterminated quoted identifier", t.line);
        t.kind = TokenKind::kQuotedName;
      } else if (c == '$' && DollarTagLength() > 0) {
        if (!SkipDollarQuoted()) return Fail(out, "unterminated dollar-quoted string", t.line);
        t.kind = TokenKind::kString;
      } else if (IsIdentStart(c)) {
        while (pos_ < src_.size() && IsIdentChar(src_[pos_])) ++pos_;
        t.kind = TokenKind::kWord;
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        while (pos_ < src_.size() &&
               (std::isalnum(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '.')) {
          ++pos_;
        }
        t.kind = TokenKind::kNumber;
      } else {
        ++pos_;
        t.kind = TokenKind::kPunct;
      }
      t.end = pos_;
      if (t.kind == TokenKind::kQuotedName) {
        std::string name;
        for (size_t i = t.offset + 1; i + 1 < t.end; ++i) {
          name.push_back(src_[i]);
          if (src_[i] == '"') ++i;  // "" inside a quoted name
        }
        t.text = std::move(name);
      } else {
        t.text = std::string(src_.substr(t.offset, t.end - t.offset));
      }
      current.tokens.push_back(std::move(t));
    }
    if (!current.tokens.empty()) {
      Finish(current);
      out.statements.push_back(std::move(current));
    }
    return out;
  }

 private:
  char Peek(size_t ahead) const { return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0'; }

  LexResult& Fail(LexResult& out, const char* what, int line) {
    out.error = what;
    out.error_line = line;
    return out;
  }

  void Finish(Statement& s) {
    s.line = s.tokens.front().line;
    s.sql = std::string(
        src_.substr(s.tokens.front().offset, s.tokens.back().end - s.tokens.front().offset));
  }

  bool SkipBlockComment() {
    int depth = 0;
    while (pos_ < src_.size()) {
      if (src_[pos_] == '/' && Peek(1) == '*') {
        ++depth;
        pos_ += 2;
      } else if (src_[pos_] == '*' && Peek(1) == '/') {
        pos_ += 2;
        if (--depth == 0) return true;
      } else {
        if (src_[pos_] == '\n') ++line_;
        ++pos_;
      }
    }
    return false;
  }

  // At the opening quote; leaves pos_ after the closing one.
  bool SkipQuoted(char quote, bool backslash_escapes) {
    ++pos_;
    while (pos_ < src_.size()) {
      const char c = src_[pos_];
      if (c == '\n') ++line_;
      if (backslash_escapes && c == '\\') {
        if (Peek(1) == '\n') ++line_;  // an escaped line break is still one
        pos_ += 2;
        continue;
      }
      ++pos_;
      if (c == quote) {
        if (pos_ < src_.size() && src_[pos_] == quote) {
          ++pos_;
          continue;
        }
        return true;
      }
    }
    return false;
  }

  // Length of "$tag$" at pos_, or 0 when pos_ does not start one.
  size_t DollarTagLength() const {
    size_t i = pos_ + 1;
    if (i < src_.size() && src_[i] == '$') return 2;
    if (i >= src_.size() || !IsIdentStart(src_[i])) return 0;
    while (i < src_.size() && IsIdentChar(src_[i]) && src_[i] != '$') ++i;
    if (i < src_.size() && src_[i] == '$') return i - pos_ + 1;
    return 0;
  }

  bool SkipDollarQuoted() {
    const size_t len = DollarTagLength();
    const std::string_view tag = src_.substr(pos_, len);
    const size_t close = src_.find(tag, pos_ + len);
    if (close == std::string_view::npos) return false;
    for (size_t i = pos_; i < close + len; ++i) {
      if (src_[i] == '\n') ++line_;
    }
    pos_ = close + len;
    return true;
  }

  std::string_view src_;
  size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

bool Token::Is(std::string_view keyword) const {
  if (kind != TokenKind::kWord || text.size() != keyword.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != keyword[i]) return false;
  }
  return true;
}

LexResult SplitStatements(std::string_view script) { return Lexer(script).Run(); }

std::string UpperAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace payments::migrate
