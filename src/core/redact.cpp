#include "core/redact.h"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <utility>
#include <vector>

namespace payments {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads the run of digit groups joined by single spaces or dashes that starts
// at text[begin] (a digit) into groups; returns where its last digit ends.
size_t ReadDigitRun(std::string_view text, size_t begin, std::vector<std::string_view>& groups) {
  groups.clear();
  size_t start = begin;
  while (true) {
    size_t end = start;
    while (end < text.size() && IsDigit(text[end])) ++end;
    groups.push_back(text.substr(start, end - start));
    if (end + 1 < text.size() && (text[end] == ' ' || text[end] == '-') && IsDigit(text[end + 1])) {
      start = end + 1;
      continue;
    }
    return end;
  }
}

bool Luhn(std::string_view digits) {
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

bool HoldsCardNumber(std::string_view text) {
  std::vector<std::string_view> groups;
  std::string digits;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      ++i;
      continue;
    }
    i = ReadDigitRun(text, i, groups);
    for (size_t first = 0; first < groups.size(); ++first) {
      digits.clear();
      for (size_t last = first; last < groups.size(); ++last) {
        digits += groups[last];
        if (digits.size() > 19) break;
        if (digits.size() >= 13 && Luhn(digits)) return true;
      }
    }
  }
  return false;
}

namespace {

// Each pass copies into a new string: replacing in place moved the rest of
// the text once per match, quadratic on a 64 KiB body of keys (found in
// review).
std::string RedactKeys(const std::string& text) {
  constexpr std::string_view kPrefixes[] = {"sk_test_", "sk_live_"};
  constexpr size_t kPrefixLength = 8;
  size_t next[2] = {text.find(kPrefixes[0]), text.find(kPrefixes[1])};
  std::string out;
  out.reserve(text.size());
  size_t copied = 0;
  size_t pos = 0;
  while (true) {
    for (size_t p = 0; p < 2; ++p) {
      if (next[p] != std::string::npos && next[p] < pos) next[p] = text.find(kPrefixes[p], pos);
    }
    const size_t at = std::min(next[0], next[1]);
    if (at == std::string::npos) break;
    size_t end = at + kPrefixLength;
    while (end < text.size() && IsKeyChar(text[end])) ++end;
    // A key glued to the next ("…AAAAsk_test_…") ends where that one starts.
    const size_t other = at == next[0] ? next[1] : next[0];
    if (other != std::string::npos && other > at) end = std::min(end, other);
    if (end - at - kPrefixLength >= 8) {
      out.append(text, copied, at - copied);
      out += "[redacted]";
      copied = end;
      pos = end;
    } else {
      pos = at + 1;  // the other prefix may start inside this one's tail
    }
  }
  out.append(text, copied);
  return out;
}

}  // namespace

std::string RedactSecrets(std::string input) {
  const std::string text = RedactKeys(input);
  std::string out;
  out.reserve(text.size());
  size_t copied = 0;
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
      out.append(text, copied, i - copied);
      out += "[redacted]";
      copied = last_digit_end;
    }
    i = last_digit_end > i ? last_digit_end : i + 1;
  }
  out.append(text, copied);
  return out;
}

std::string RedactForClient(std::string text) {
  text = RedactSecrets(std::move(text));
  std::vector<std::string_view> groups;
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    const size_t end = ReadDigitRun(text, i, groups);
    size_t digits = 0;
    for (std::string_view g : groups) digits += g.size();
    if (digits >= 13) {
      out += "[redacted]";
    } else {
      out.append(text, i, end - i);
    }
    i = end;
  }
  return out;
}

}  // namespace payments
