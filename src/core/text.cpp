#include "core/text.h"

#include <cstdint>

namespace payments {

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;  // a continuation byte first, or 0xF8..0xFF
    }
    if (static_cast<size_t>(end - p) <= n) return false;
    for (size_t i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += n + 1;
  }
  return true;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::optional<TextProblem> CheckText(std::string_view s, bool allow_control) {
  for (char c : s) {
    if (c == '\0') return TextProblem::kNul;
    if (!allow_control && ((c > 0 && c < 0x20) || c == 0x7F)) return TextProblem::kControl;
  }
  if (!IsValidUtf8(s)) return TextProblem::kInvalidUtf8;
  return std::nullopt;
}

std::string_view Describe(TextProblem problem) {
  switch (problem) {
    case TextProblem::kInvalidUtf8:
      return "is not valid UTF-8";
    case TextProblem::kNul:
      return "contains a NUL character";
    case TextProblem::kControl:
      return "contains a control character";
  }
  return "is not acceptable text";
}

}  // namespace payments
