#include "http/client_address.h"

#include <fmt/format.h>

#include <charconv>

namespace payments::http {
namespace {

namespace ip = boost::asio::ip;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ParseAddress(std::string_view text, ip::address& out) {
  boost::system::error_code ec;
  out = ip::make_address(std::string(text), ec);
  if (ec) return false;
  // An IPv4 peer on a dual-stack socket reads ::ffff:a.b.c.d.
  if (out.is_v6() && out.to_v6().is_v4_mapped()) {
    out = ip::make_address_v4(ip::v4_mapped, out.to_v6());
  }
  return true;
}

// The socket peer's address without its ":port" ("::1:5555" → "::1").
std::string_view PeerHost(std::string_view remote) {
  const size_t colon = remote.rfind(':');
  return colon == std::string_view::npos ? remote : remote.substr(0, colon);
}

template <typename Bytes>
bool PrefixMatches(const Bytes& a, const Bytes& b, unsigned prefix) {
  for (size_t i = 0; i < a.size() && prefix > 0; ++i) {
    const unsigned bits = prefix >= 8 ? 8 : prefix;
    const auto mask = static_cast<unsigned char>(0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
    prefix -= bits;
  }
  return true;
}

}  // namespace

payments::Result<TrustedProxies> TrustedProxies::Parse(std::string_view list) {
  TrustedProxies out;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view item = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item.empty()) continue;
    const size_t slash = item.find('/');
    Network n;
    if (!ParseAddress(item.substr(0, slash), n.base)) {
      return std::unexpected(Error::InvalidRequest(
          "invalid_trusted_proxies",
          fmt::format("trusted proxies: '{}' is not an IP address or network", item)));
    }
    const unsigned max_prefix = n.base.is_v4() ? 32 : 128;
    n.prefix = max_prefix;
    if (slash != std::string_view::npos) {
      const std::string_view bits = item.substr(slash + 1);
      unsigned value = 0;
      const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), value);
      if (ec != std::errc() || end != bits.data() + bits.size() || bits.empty() ||
          value > max_prefix) {
        return std::unexpected(Error::InvalidRequest(
            "invalid_trusted_proxies",
            fmt::format("trusted proxies: '{}' has a bad prefix length (0 to {})", item,
                        max_prefix)));
      }
      n.prefix = value;
    }
    out.networks_.push_back(n);
  }
  return out;
}

bool TrustedProxies::Contains(const ip::address& address) const {
  for (const Network& n : networks_) {
    if (n.base.is_v4() != address.is_v4()) continue;
    const bool match =
        address.is_v4()
            ? PrefixMatches(n.base.to_v4().to_bytes(), address.to_v4().to_bytes(), n.prefix)
            : PrefixMatches(n.base.to_v6().to_bytes(), address.to_v6().to_bytes(), n.prefix);
    if (match) return true;
  }
  return false;
}

std::string ClientAddress(const Request& request, const TrustedProxies& proxies) {
  ip::address peer;
  if (!ParseAddress(PeerHost(request.remote_address), peer)) return request.remote_address;
  if (proxies.empty() || !proxies.Contains(peer)) return peer.to_string();
  // Every X-Forwarded-For field, in order, as one list read from the right.
  std::vector<std::string_view> hops;
  for (const auto& [name, value] : request.headers) {
    if (name != "x-forwarded-for") continue;
    std::string_view rest = value;
    while (true) {
      const size_t comma = rest.find(',');
      hops.push_back(Trim(rest.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
  }
  ip::address client = peer;
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    ip::address next;
    // A hop a trusted proxy wrote that is not an address: no one vouches
    // for anything beyond it, so the last trusted hop is the client.
    if (!ParseAddress(*hop, next)) break;
    client = next;
    if (!proxies.Contains(next)) break;
  }
  return client.to_string();
}

}  // namespace payments::http
