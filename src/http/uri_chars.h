// Character classes of RFC 3986 shared by the parsers of request targets
// (http/request_target.h) and of webhook URLs (http/webhook_url.h). Pure.
#pragma once

namespace payments::http {

// pchar without '%' (escapes are checked apart): unreserved, sub-delims,
// ':' and '@'.
inline bool IsPathChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':  // unreserved
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':  // sub-delims
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
    case ':':
    case '@':
      return true;
    default:
      return false;
  }
}

}  // namespace payments::http
