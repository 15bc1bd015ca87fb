#include "core/redact.h"

#include <cctype>
#include <string_view>
#include <utility>

namespace payments {
namespace {

bool Luhn(const std::string& digits) {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice && (d *= 2) > 9) d -= 9;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool IsKeyChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Digits inside an identifier (pay_4242…) are part of a name, and digits
// after a decimal point are a fraction (0.4242424242424242), not a card.
bool IsWordChar(char c) { return IsKeyChar(c) || c == '_'; }
bool IsNumberContext(char c) { return IsWordChar(c) || c == '.'; }

}  // namespace

std::string RedactSecrets(std::string text) {
  // Secret keys.
  for (std::string_view prefix : {"sk_test_", "sk_live_"}) {
    size_t pos = 0;
    while ((pos = text.find(prefix, pos)) != std::string::npos) {
      size_t end = pos + prefix.size();
      while (end < text.size() && IsKeyChar(text[end])) ++end;
      if (end - pos - prefix.size() >= 8) {
        text.replace(pos, end - pos, "[redacted]");
        pos += 10;
      } else {
        pos = end;
      }
    }
  }
  // Card numbers: runs of digits with optional single spaces or dashes.
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i])) ||
        (i > 0 && IsNumberContext(text[i - 1]))) {
      ++i;
      continue;
    }
    std::string digits;
    size_t j = i;
    size_t last_digit_end = i;
    while (j < text.size()) {
      const char c = text[j];
      if (std::isdigit(static_cast<unsigned char>(c))) {
        digits.push_back(c);
        last_digit_end = j + 1;
        ++j;
      } else if ((c == ' ' || c == '-') && j + 1 < text.size() &&
                 std::isdigit(static_cast<unsigned char>(text[j + 1]))) {
        ++j;
      } else {
        break;
      }
      if (digits.size() > 19) break;
    }
    const bool boundary = last_digit_end >= text.size() || !IsWordChar(text[last_digit_end]);
    if (digits.size() >= 13 && digits.size() <= 19 && boundary && Luhn(digits)) {
      text.replace(i, last_digit_end - i, "[redacted]");
      i += 10;
    } else {
      i = last_digit_end > i ? last_digit_end : i + 1;
    }
  }
  return text;
}

std::string RedactForClient(std::string text) {
  text = RedactSecrets(std::move(text));
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (!is_digit(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    size_t j = i;
    size_t digits = 0;
    size_t last_digit_end = i;
    while (j < text.size()) {
      if (is_digit(text[j])) {
        ++digits;
        last_digit_end = ++j;
      } else if ((text[j] == ' ' || text[j] == '-') && j + 1 < text.size() &&
                 is_digit(text[j + 1])) {
        ++j;
      } else {
        break;
      }
    }
    if (digits >= 13) {
      out += "[redacted]";
    } else {
      out.append(text, i, last_digit_end - i);
    }
    i = last_digit_end;
  }
  return out;
}

}  // namespace payments
