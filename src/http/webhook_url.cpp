#include "http/webhook_url.h"

#include <fmt/format.h>

#include <optional>

#include "http/address_policy.h"
#include "http/uri_chars.h"

namespace payments::http {
namespace {

payments::Error Invalid(std::string message) {
  return payments::Error::InvalidRequest("url_invalid", std::move(message), "url");
}

// Part of the input for a message: short, printable ASCII only.
std::string Shown(std::string_view s, size_t max = 24) {
  std::string out;
  for (char c : s.substr(0, max)) out += c > 0x20 && c < 0x7f ? c : '?';
  if (s.size() > max) out += "...";
  return out;
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

int DefaultPort(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

// RFC 3986 pchar plus '/' and '?', and '%' (whose escapes are checked apart).
bool IsTargetChar(char c) { return IsPathChar(c) || c == '/' || c == '?' || c == '%'; }

// A DNS name, lower-cased, without its trailing dot; or an error message.
std::optional<std::string> CheckDnsName(std::string_view host, std::string& error) {
  if (host.size() > 253) {
    error = "url has a host name longer than 253 characters";
    return std::nullopt;
  }
  std::string_view rest = host;
  while (true) {
    const size_t dot = rest.find('.');
    const std::string_view label = rest.substr(0, dot);
    if (label.empty()) {
      error = "url has an empty label in its host name";
      return std::nullopt;
    }
    if (label.size() > 63) {
      error = "url has a host name label longer than 63 characters";
      return std::nullopt;
    }
    for (char c : label) {
      if (!IsAlpha(c) && !IsDigit(c) && c != '-') {
        error = fmt::format("url has a character not allowed in a host name ('{}')", c);
        return std::nullopt;
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      error = "url has a host name label that starts or ends with '-'";
      return std::nullopt;
    }
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return Lowered(host);
}

// The last label decides whether a host is meant as an IPv4 address, as the
// WHATWG URL standard has it: all digits, or 0x and hex digits.
bool EndsInNumber(std::string_view host) {
  const size_t dot = host.rfind('.');
  std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  if (last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X')) {
    last.remove_prefix(2);
    for (char c : last) {
      if (!IsHex(c)) return false;
    }
    return true;
  }
  for (char c : last) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

}  // namespace

std::string WebhookUrl::Authority() const {
  const bool brackets = host.find(':') != std::string::npos;
  std::string out = brackets ? fmt::format("[{}]", host) : host;
  if (port != DefaultPort(scheme)) out += fmt::format(":{}", port);
  return out;
}

std::string WebhookUrl::ToString() const {
  return fmt::format("{}://{}{}", scheme, Authority(), target);
}

payments::Result<WebhookUrl> ParseWebhookUrl(std::string_view text) {
  if (text.size() > kMaxWebhookUrlLength) {
    return std::unexpected(
        Invalid(fmt::format("url must be at most {} characters", kMaxWebhookUrlLength)));
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte <= 0x20 || byte >= 0x7f) {
      const char* what = byte == ' ' || byte == '\t' || byte == '\n' || byte == '\r' ? "whitespace"
                         : byte >= 0x80 ? "a byte that is not ASCII"
                                        : "a control character";
      return std::unexpected(Invalid(
          fmt::format("url must not contain {} (byte 0x{:02x} at offset {}); percent-encode it",
                      what, byte, i)));
    }
  }

  // scheme ":" "//"
  size_t colon = 0;
  while (colon < text.size() &&
         (IsAlpha(text[colon]) || (colon > 0 && (IsDigit(text[colon]) || text[colon] == '+' ||
                                                 text[colon] == '-' || text[colon] == '.')))) {
    ++colon;
  }
  if (colon == 0 || colon >= text.size() || text[colon] != ':') {
    return std::unexpected(
        Invalid("url must be absolute, with a scheme and a host: https://example.com/webhooks"));
  }
  WebhookUrl url;
  url.scheme = Lowered(text.substr(0, colon));
  if (url.scheme != "https" && url.scheme != "http") {
    return std::unexpected(Invalid(
        fmt::format("url must use the https or http scheme, not '{}'", Shown(url.scheme, 16))));
  }
  std::string_view rest = text.substr(colon + 1);
  if (!rest.starts_with("//")) {
    return std::unexpected(
        Invalid("url must be absolute, with a scheme and a host: https://example.com/webhooks"));
  }
  rest.remove_prefix(2);

  const size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  // Before anything that could echo part of the authority: it may hold a password.
  if (authority.find('@') != std::string_view::npos) {
    return std::unexpected(Invalid(
        "url must not contain credentials (user:password@); put a secret in the path or query"));
  }
  if (text.find('#') != std::string_view::npos) {
    return std::unexpected(Invalid("url must not contain a fragment ('#')"));
  }

  // host [":" port]
  std::string_view host = authority;
  std::optional<std::string_view> port_text;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::unexpected(Invalid("url has an IPv6 address without its closing ']'"));
    }
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return std::unexpected(Invalid("url has characters after the IPv6 address's ']'"));
      }
      port_text = after.substr(1);
    }
    const std::optional<IpAddress> ip = ParseIpAddress(host);
    if (!ip || !ip->v6) {
      return std::unexpected(
          Invalid(fmt::format("url has an invalid IPv6 address ('{}')", Shown(host, 48))));
    }
    url.host = ip->ToString();
    url.host_is_ip = true;
  } else {
    const size_t port_colon = authority.find(':');
    if (port_colon != std::string_view::npos) {
      host = authority.substr(0, port_colon);
      port_text = authority.substr(port_colon + 1);
    }
    if (host.ends_with('.')) host.remove_suffix(1);
    if (host.empty()) return std::unexpected(Invalid("url has no host"));
    if (EndsInNumber(host)) {
      const std::optional<IpAddress> ip = ParseIpAddress(host);
      if (!ip) {
        return std::unexpected(Invalid(
            fmt::format("url has a host that is not a valid IPv4 address in dotted decimal ('{}')",
                        Shown(host))));
      }
      url.host = ip->ToString();
      url.host_is_ip = true;
    } else {
      std::string error;
      std::optional<std::string> name = CheckDnsName(host, error);
      if (!name) return std::unexpected(Invalid(std::move(error)));
      url.host = std::move(*name);
    }
  }

  url.port = DefaultPort(url.scheme);
  if (port_text) {
    bool ok = !port_text->empty() && port_text->size() <= 5;
    int value = 0;
    for (char c : *port_text) {
      ok = ok && IsDigit(c);
      if (ok) value = value * 10 + (c - '0');
    }
    if (!ok || value < 1 || value > 65535) {
      return std::unexpected(
          Invalid(fmt::format("url has an invalid port ('{}'): it must be a number from 1 to 65535",
                              Shown(*port_text, 8))));
    }
    url.port = value;
  }

  for (size_t i = 0; i < target.size(); ++i) {
    const char c = target[i];
    if (!IsTargetChar(c)) {
      return std::unexpected(Invalid(
          fmt::format("url has a character that must be percent-encoded ('{}' at offset {})", c,
                      text.size() - target.size() + i)));
    }
    if (c == '%' && (i + 2 >= target.size() || !IsHex(target[i + 1]) || !IsHex(target[i + 2]))) {
      return std::unexpected(
          Invalid(fmt::format("url has a '%' not followed by two hexadecimal digits (at offset {})",
                              text.size() - target.size() + i)));
    }
  }
  url.target =
      target.empty() || target.front() == '?' ? fmt::format("/{}", target) : std::string(target);
  return url;
}

}  // namespace payments::http
