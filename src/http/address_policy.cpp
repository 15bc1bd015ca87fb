#include "http/address_policy.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>

namespace payments::http {
namespace {

constexpr std::string_view kParam = "PAYMENTS_WEBHOOK_ALLOWED_NETWORKS";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// An item of configuration for a message: printable ASCII, not too long.
std::string Shown(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out;
  for (char c : s.substr(0, kMax)) out += c >= 0x20 && c < 0x7f ? c : '?';
  if (s.size() > kMax) out += "...";
  return out;
}

std::optional<IpAddress> ParseIpv4(std::string_view text) {
  IpAddress out;
  int part = 0;
  while (true) {
    if (part == 4) return std::nullopt;
    size_t digits = 0;
    unsigned value = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
      value = value * 10 + static_cast<unsigned>(text[digits] - '0');
      if (++digits > 3) return std::nullopt;
    }
    if (digits == 0 || value > 255 || (digits > 1 && text[0] == '0')) return std::nullopt;
    out.bytes[static_cast<size_t>(part++)] = static_cast<uint8_t>(value);
    text.remove_prefix(digits);
    if (text.empty()) break;
    if (text.front() != '.') return std::nullopt;
    text.remove_prefix(1);
  }
  if (part != 4) return std::nullopt;
  return out;
}

std::optional<IpAddress> ParseIpv6(std::string_view text) {
  // inet_pton reads a C string: nothing it could stop early at, and no
  // zone ("%eth0"), which names an interface rather than an address.
  if (text.size() < 2 || text.size() > 45) return std::nullopt;
  for (char c : text) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                    c == ':' || c == '.';
    if (!ok) return std::nullopt;
  }
  IpAddress out;
  out.v6 = true;
  const std::string copy(text);
  if (::inet_pton(AF_INET6, copy.c_str(), out.bytes.data()) != 1) return std::nullopt;
  return out;
}

// The IPv4 address in bytes [offset, offset + 4) of an IPv6 address.
IpAddress EmbeddedV4(const IpAddress& a, size_t offset) {
  IpAddress v4;
  std::copy_n(a.bytes.begin() + static_cast<std::ptrdiff_t>(offset), 4, v4.bytes.begin());
  return v4;
}

bool AllZero(const IpAddress& a, size_t from, size_t to) {
  return std::all_of(a.bytes.begin() + static_cast<std::ptrdiff_t>(from),
                     a.bytes.begin() + static_cast<std::ptrdiff_t>(to),
                     [](uint8_t b) { return b == 0; });
}

bool IsV4Mapped(const IpAddress& a) {
  return a.v6 && AllZero(a, 0, 10) && a.bytes[10] == 0xff && a.bytes[11] == 0xff;
}

struct V4Range {
  uint32_t base;
  int prefix;
};

constexpr uint32_t V4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

constexpr V4Range kNonPublicV4[] = {
    {V4(0, 0, 0, 0), 8},      {V4(10, 0, 0, 0), 8},     {V4(100, 64, 0, 0), 10},
    {V4(127, 0, 0, 0), 8},    {V4(169, 254, 0, 0), 16}, {V4(172, 16, 0, 0), 12},
    {V4(192, 0, 0, 0), 24},   {V4(192, 0, 2, 0), 24},   {V4(192, 88, 99, 0), 24},
    {V4(192, 168, 0, 0), 16}, {V4(198, 18, 0, 0), 15},  {V4(198, 51, 100, 0), 24},
    {V4(203, 0, 113, 0), 24}, {V4(224, 0, 0, 0), 4},    {V4(240, 0, 0, 0), 4},
};

bool IsPublicV4(const IpAddress& a) {
  const uint32_t value = V4(a.bytes[0], a.bytes[1], a.bytes[2], a.bytes[3]);
  for (const V4Range& r : kNonPublicV4) {
    const uint32_t mask = r.prefix == 0 ? 0 : ~uint32_t{0} << (32 - r.prefix);
    if ((value & mask) == r.base) return false;
  }
  return true;
}

}  // namespace

std::string IpAddress::ToString() const {
  if (!v6) return fmt::format("{}.{}.{}.{}", bytes[0], bytes[1], bytes[2], bytes[3]);
  char text[INET6_ADDRSTRLEN] = {};
  if (::inet_ntop(AF_INET6, bytes.data(), text, sizeof(text)) == nullptr) return "?";
  return text;
}

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return ParseIpv6(text);
  return ParseIpv4(text);
}

bool IpNetwork::Contains(const IpAddress& a) const {
  if (a.v6 != base.v6) return false;
  int bits = prefix;
  for (size_t i = 0; i < a.bytes.size() && bits > 0; ++i, bits -= 8) {
    const int n = std::min(bits, 8);
    const auto mask = static_cast<uint8_t>(0xff << (8 - n));
    if ((a.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
  }
  return true;
}

payments::Result<std::vector<IpNetwork>> ParseIpNetworks(std::string_view text) {
  std::vector<IpNetwork> out;
  auto invalid = [](std::string message) {
    return std::unexpected(payments::Error::InvalidRequest(
        "invalid_webhook_allowed_networks", std::move(message), std::string(kParam)));
  };
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = Trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item.empty()) continue;
    const size_t slash = item.find('/');
    const std::optional<IpAddress> base = ParseIpAddress(item.substr(0, slash));
    if (!base) {
      return invalid(fmt::format(
          "{}: '{}' is not an IP address or network (like 10.0.0.0/8, ::1/128 or 192.168.1.5)",
          kParam, Shown(item)));
    }
    const int max_prefix = base->v6 ? 128 : 32;
    IpNetwork network{.base = *base, .prefix = max_prefix};
    if (slash != std::string_view::npos) {
      const std::string_view bits = item.substr(slash + 1);
      int value = 0;
      bool ok = !bits.empty() && bits.size() <= 3;
      for (char c : bits) {  // at most 3 digits: no overflow
        ok = ok && c >= '0' && c <= '9';
        if (!ok) break;
        value = value * 10 + (c - '0');
      }
      if (!ok || value > max_prefix) {
        return invalid(fmt::format("{}: '{}' has a bad prefix length (0 to {})", kParam,
                                   Shown(item), max_prefix));
      }
      network.prefix = value;
    }
    // Bits past the prefix are most likely a typo for a narrower network or
    // a host route; which one is the operator's to say.
    IpNetwork masked{.base = {.v6 = base->v6}, .prefix = network.prefix};
    for (size_t i = 0; i < masked.base.bytes.size(); ++i) {
      const int bits = std::clamp(network.prefix - static_cast<int>(i) * 8, 0, 8);
      masked.base.bytes[i] = static_cast<uint8_t>(base->bytes[i] & (0xff << (8 - bits)));
    }
    if (masked.base != network.base) {
      return invalid(fmt::format("{}: '{}' has bits set past its prefix: did you mean {}/{}?",
                                 kParam, Shown(item), masked.base.ToString(), masked.prefix));
    }
    out.push_back(network);
  }
  return out;
}

bool IsPublicAddress(const IpAddress& a) {
  if (!a.v6) return IsPublicV4(a);
  const auto& b = a.bytes;
  if (IsV4Mapped(a)) return IsPublicV4(EmbeddedV4(a, 12));
  if (AllZero(a, 0, 12)) {
    if (AllZero(a, 12, 15) && b[15] <= 1) return false;  // :: and ::1
    return IsPublicV4(EmbeddedV4(a, 12));
  }
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && AllZero(a, 4, 12)) {
    return IsPublicV4(EmbeddedV4(a, 12));
  }
  if (b[0] == 0x20 && b[1] == 0x02) return IsPublicV4(EmbeddedV4(a, 2));
  if ((b[0] & 0xe0) != 0x20) return false;                                         // not 2000::/3
  if (b[0] == 0x20 && b[1] == 0x01 && (b[2] & 0xfe) == 0x00) return false;         // 2001::/23
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return false;  // 2001:db8::/32
  if (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xf0) == 0x00) return false;         // 3fff::/20
  return true;
}

AddressPolicy::AddressPolicy(std::vector<IpNetwork> allowed) : allowed_(std::move(allowed)) {}

bool AddressPolicy::Allows(const IpAddress& a) const {
  if (IsPublicAddress(a)) return true;
  const std::optional<IpAddress> v4 =
      IsV4Mapped(a) ? std::optional<IpAddress>(EmbeddedV4(a, 12)) : std::nullopt;
  return std::any_of(allowed_.begin(), allowed_.end(),
                     [&](const IpNetwork& n) { return n.Contains(a) || (v4 && n.Contains(*v4)); });
}

}  // namespace payments::http
