// A small lexer for PostgreSQL migration scripts: splits a script into
// statements and statements into tokens, with the line each starts on, while
// respecting comments (-- and nested /* */), quoted strings ('', E'', $tag$),
// and quoted identifiers. Enough for the engine to run statements one by one
// and for the linter to recognise statement shapes; it is not a SQL parser.
// Not supported: SQL-standard function bodies (BEGIN ATOMIC ... END), whose
// inner semicolons would split the statement; use a $$-quoted body instead.
// Pure functions over values; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace payments::migrate {

enum class TokenKind {
  kWord,        // keyword or bare identifier, as written
  kQuotedName,  // "Identifier" (text holds the name without quotes)
  kString,      // '...', E'...', $tag$...$tag$ (text holds the raw source)
  kNumber,
  kPunct,  // one character: ( ) , ; . = : [ ] + - * / < > etc.
};

struct Token {
  TokenKind kind = TokenKind::kWord;
  std::string text;
  int line = 1;
  size_t offset = 0;  // into the script
  size_t end = 0;     // one past the token's last byte

  // Case-insensitive comparison of a word token with an upper-case keyword.
  bool Is(std::string_view keyword) const;
  bool IsPunct(char c) const {
    return kind == TokenKind::kPunct && text.size() == 1 && text[0] == c;
  }
};

struct Comment {
  std::string text;  // without the comment markers, trimmed
  int line = 1;
};

struct Statement {
  std::string sql;                // source text from the first token to the last, no semicolon
  int line = 1;                   // line of the first token
  std::vector<Token> tokens;      // without the terminating semicolon
  std::vector<Comment> comments;  // comments before it (since the previous statement) and inside it
};

struct LexResult {
  std::vector<Statement> statements;
  // Set when the script ends inside a string, quoted name or comment.
  std::string error;
  int error_line = 0;
};

// Splits a script into statements. Empty statements (";;") are dropped.
LexResult SplitStatements(std::string_view script);

// Upper-cases ASCII letters.
std::string UpperAscii(std::string_view s);

}  // namespace payments::migrate
