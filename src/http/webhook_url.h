// The endpoint URL a merchant registers for webhook deliveries, parsed
// strictly: only what an HTTP client can send unambiguously is taken, so that
// the host this parser sees is the host the delivery connects to (no
// credentials to hide a host behind, no numeric forms of IPv4 that
// inet_aton would read differently, no bytes a server might split a request
// line on). Whether the host's addresses may be reached is a separate
// question (http/address_policy.h), asked at delivery time.
//
// Pure functions over values; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace payments::http {

inline constexpr size_t kMaxWebhookUrlLength = 2048;

struct WebhookUrl {
  std::string scheme;  // "https" or "http" (lower-case)
  std::string host;    // lower-case DNS name, dotted IPv4, or IPv6 without brackets
  int port = 0;        // explicit or the scheme's default
  std::string target;  // path and query, "/" when the URL has no path
  bool host_is_ip = false;

  // Canonical form: scheme://host[:port]target, brackets around an IPv6
  // host, the port omitted when it is the scheme's default. Parsing it gives
  // the same fields back.
  std::string ToString() const;
  // What the Host header carries: host[:port], brackets around IPv6.
  std::string Authority() const;

  friend bool operator==(const WebhookUrl&, const WebhookUrl&) = default;
};

// Strict parse of a merchant-supplied endpoint URL. Errors are
// Error::InvalidRequest, code "url_invalid", param "url", with a one-line
// message naming what is wrong:
//   - longer than kMaxWebhookUrlLength, or a byte that is whitespace, a
//     control character or not ASCII, anywhere;
//   - not absolute ("scheme://host..."), or a scheme other than http/https;
//   - credentials: any '@' in the authority ("URLs must not contain credentials");
//   - a fragment ('#');
//   - an empty or invalid host: a DNS name of letters, digits and hyphens
//     (labels of 1-63 characters, not starting or ending with '-', at most
//     253 in all; one trailing dot is removed), a strict dotted quad when the
//     last label is numeric ("127.1" is refused), or an IPv6 address in
//     brackets without a zone;
//   - a port that is empty, not digits, or outside 1..65535;
//   - in the path and query, a '%' not followed by two hex digits, or a
//     character RFC 3986 does not allow there ('\', '"', '<', '>', '^', '`',
//     '{', '|', '}').
// A message never repeats more than a short prefix of the input, and never
// any of it when the input holds credentials.
payments::Result<WebhookUrl> ParseWebhookUrl(std::string_view text);

}  // namespace payments::http
