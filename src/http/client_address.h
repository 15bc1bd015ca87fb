// Who sent a request, for limits keyed by client: the socket's peer, or —
// only when that peer is a proxy the operator named — the address that proxy
// says it received the request from (X-Forwarded-For).
//
// The header is read from the right: each trusted proxy appends the address
// it received from, so the rightmost address that is not a trusted proxy is
// the first one no trusted party vouches for. Anything left of it was written
// by the client and is ignored (a client can put any address there).
//
// TrustedProxies is immutable after Parse; thread-safe to share.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "http/message.h"

namespace payments::http {

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // A comma-separated list of addresses and CIDR networks
  // ("10.0.0.0/8, 192.168.1.7, fd00::/8"); "" trusts nobody.
  static payments::Result<TrustedProxies> Parse(std::string_view list);

  bool empty() const { return networks_.empty(); }
  bool Contains(const boost::asio::ip::address& address) const;

 private:
  struct Network {
    boost::asio::ip::address base;
    unsigned prefix = 0;
  };
  std::vector<Network> networks_;
};

// The address limits key by: the socket's peer (request.remote_address),
// unless it is a trusted proxy that sent X-Forwarded-For. Always an address
// in canonical text form, or the raw remote_address if that does not parse.
std::string ClientAddress(const Request& request, const TrustedProxies& proxies);

}  // namespace payments::http
