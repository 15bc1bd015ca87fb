// Which IP addresses an outgoing webhook delivery may connect to: the defence
// against server-side request forgery, where a merchant names an endpoint
// (directly, or through DNS) that reaches the service's own network — its
// database, the metadata service of the cloud, the admin listener.
//
// A delivery may connect to a public address, or to any address inside a
// network the operator allowed (PAYMENTS_WEBHOOK_ALLOWED_NETWORKS, for test
// and on-premises setups). The ranges that are not public are listed at
// IsPublicAddress and in docs/security.md.
//
// Pure values and functions; an AddressPolicy is immutable after
// construction and thread-safe to share.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace payments::http {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4

  // Dotted quad, or RFC 5952 text for IPv6 ("::1", "2001:db8::1", "::ffff:1.2.3.4").
  std::string ToString() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// A strict dotted quad (four decimal parts 0..255 without leading zeros:
// never "127.1", "0x7f.0.0.1" or "2130706433", which inet_aton would take) or
// an IPv6 address without brackets or zone; nullopt otherwise.
std::optional<IpAddress> ParseIpAddress(std::string_view text);

struct IpNetwork {
  IpAddress base;
  int prefix = 0;  // 0..32 for IPv4, 0..128 for IPv6

  // Same family, and the first `prefix` bits equal.
  bool Contains(const IpAddress& a) const;
};

// "127.0.0.1/32,10.0.0.0/8,::1/128,192.168.1.5" (a bare address is a host
// route; spaces around items are ignored). Empty text -> empty list. Errors:
// InvalidRequest naming the bad item, param PAYMENTS_WEBHOOK_ALLOWED_NETWORKS;
// a network with bits set past its prefix ("10.1.2.3/8") is refused as a
// likely typo, naming the network it would mean.
payments::Result<std::vector<IpNetwork>> ParseIpNetworks(std::string_view text);

// False for every address that is not public:
//   IPv4: 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24,
//     192.0.2/24, 192.88.99/24, 192.168/16, 198.18/15, 198.51.100/24,
//     203.0.113/24, 224/4 (multicast), 240/4 (incl. 255.255.255.255).
//   IPv6 that embeds an IPv4 address judges that address: ::ffff:0:0/96
//     (mapped), ::/96 (compatible; :: and ::1 are never public),
//     64:ff9b::/96 (NAT64), 2002::/16 (6to4).
//   IPv6 outside 2000::/3 (global unicast) otherwise: this takes in 100::/64,
//     fc00::/7, fe80::/10, fec0::/10, ff00::/8 and everything unassigned,
//     including all of 64:ff9b:1::/48 (local NAT64, RFC 8215), whose
//     embedded IPv4 sits where the local prefix length puts it and so cannot
//     be judged.
//   IPv6 inside 2000::/3: 2001::/23 (incl. Teredo 2001::/32), 2001:db8::/32
//     and 3fff::/20 (documentation).
bool IsPublicAddress(const IpAddress& a);

class AddressPolicy {
 public:
  explicit AddressPolicy(std::vector<IpNetwork> allowed = {});

  // Public addresses, and any address inside an allowed network. An
  // IPv4-mapped IPv6 address (::ffff:a.b.c.d) is matched against the allowed
  // IPv4 networks as a.b.c.d too: it is where a connection to it goes.
  bool Allows(const IpAddress& a) const;

  const std::vector<IpNetwork>& allowed() const { return allowed_; }

 private:
  std::vector<IpNetwork> allowed_;
};

}  // namespace payments::http
