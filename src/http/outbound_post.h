// One HTTP/1.1 POST to a merchant's webhook endpoint: the transport of a
// webhook delivery. No keep-alive, no redirects (a 3xx is just the answer's
// status), no retries: the caller decides what an attempt's outcome means.
//
// The endpoint is chosen by a merchant, so the call defends the service's own
// network (docs/security.md, "Webhook deliveries"): the host is resolved
// once, every address it resolved to must be allowed by the AddressPolicy,
// and the connection goes to exactly those checked addresses — it never
// resolves again, so a DNS answer that changes between the check and the
// connect (rebinding) cannot slip a private address in. https verifies the
// peer's certificate chain and its name (or IP address) against the URL's
// host, TLS 1.2 at least.
//
// Deadlines: connect_timeout bounds DNS, the TCP connect and the TLS
// handshake together; total_timeout bounds the whole call. A resolver that
// does not answer in time is left to finish on a thread of its own (the C
// library's getaddrinfo cannot be cancelled); the call returns on time.
//
// The TLS client context is built once per ca_file and shared (loading the
// system's CA bundle costs ~20 ms of CPU): a CA bundle changed on disk is
// read at the next start.
//
// Blocking: call it from a worker thread, never from a fiber's event loop.
// Thread-safe: each call has its own io_context and socket, and the shared
// TLS context is not changed after it is built; any number of threads may
// call at once. No exception leaves it.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/address_policy.h"
#include "http/webhook_url.h"

namespace payments::http {

struct OutboundOptions {
  std::chrono::milliseconds connect_timeout{5000};  // DNS + TCP connect + TLS handshake
  std::chrono::milliseconds total_timeout{15000};   // the whole exchange
  size_t max_response_body = 64 * 1024;             // read at most this much of the answer's body
  std::string ca_file;  // PEM CA bundle; empty: the system's default paths
};

// How far an attempt got when it failed. kResolve, kForbiddenAddress,
// kConnect and kTls: nothing was sent. kTimeout: a deadline passed — in
// DNS, the connect or the handshake (nothing sent), or after the request
// was written (it may have been received: see OutboundResult::request_sent).
// kClosed: the peer closed before a whole status line and header.
// kMalformed: the answer is not HTTP; or, with nothing sent, the request
// could not be formed (a header that is not a valid field or would change
// the message's framing: Host, Content-Length, Transfer-Encoding, ...).
enum class OutboundFailure {
  kNone,
  kResolve,
  kForbiddenAddress,
  kConnect,
  kTls,
  kTimeout,
  kClosed,
  kMalformed
};

// "none", "resolve", "forbidden_address", "connect", "tls", "timeout", "closed", "malformed".
std::string_view ToString(OutboundFailure f);

struct OutboundResult {
  OutboundFailure failure = OutboundFailure::kNone;
  // One line for logs and the attempts API; never the request's body or
  // headers. Also set with kNone when the body was cut short (capped at
  // max_response_body, or the peer stopped sending after the header): the
  // status stands, since the endpoint had decided it.
  std::string detail;
  int status = 0;                        // the answer's status when failure == kNone
  std::string retry_after;               // the Retry-After header as received, or empty
  std::string body;                      // at most max_response_body bytes of the answer
  std::string address;                   // the IP address connected to ("" when none)
  std::chrono::milliseconds latency{0};  // the whole call, DNS included
  bool request_sent = false;             // bytes of the request may have reached the endpoint
};

// Extra headers (a signature, an event id) are sent after the service's own
// Host, Content-Type: application/json, User-Agent: payments-webhooks/1,
// Content-Length and Connection: close; a header of the same name as
// Content-Type or User-Agent replaces it.
OutboundResult PostWebhook(const WebhookUrl& url, std::string_view body,
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           const AddressPolicy& policy, const OutboundOptions& options);

}  // namespace payments::http
