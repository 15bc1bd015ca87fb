// One file for the steps of one exchange (check, resolve, connect,
// handshake, write, read) and the two helpers only they use (a body that
// keeps a capped prefix, a lookup that can be abandoned): the steps share one
// Call and its deadlines and read in the order they run.
#include "http/outbound_post.h"

#include <fmt/format.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace payments::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr size_t kHeaderLimit = 32 * 1024;
constexpr int kMaxInformational = 8;    // 1xx answers skipped before the final one
constexpr size_t kMaxRetryAfter = 256;  // a date is 29 characters; more is not a Retry-After

// string_body's reader reserves whatever Content-Length a server announces,
// before a byte of it arrives; this body keeps at most `limit` bytes and
// drops the rest, so what an answer costs is bounded by the caller's cap.
struct CappedBody {
  struct value_type {
    std::string data;
    size_t limit = 0;
    bool dropped = false;  // bytes past the limit arrived and were not kept
  };

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(bhttp::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
      if (length) body_.data.reserve(static_cast<size_t>(std::min<uint64_t>(*length, body_.limit)));
      ec = {};
    }

    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      size_t used = 0;
      for (const auto b : beast::buffers_range_ref(buffers)) {
        const size_t room = body_.limit - std::min(body_.limit, body_.data.size());
        const size_t keep = std::min(room, b.size());
        body_.data.append(static_cast<const char*>(b.data()), keep);
        if (keep < b.size()) body_.dropped = true;
        used += b.size();
      }
      ec = {};
      return used;
    }

    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

// The answer to a getaddrinfo started on a thread of its own, so that a
// resolver that hangs costs that thread and not the caller's deadline.
struct Lookup {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;                 // guarded by mu
  std::string error;                 // guarded by mu; empty on success
  std::vector<tcp::endpoint> found;  // guarded by mu
};

void RunLookup(const std::shared_ptr<Lookup>& lookup, const std::string& host, int port) {
  std::string error;
  std::vector<tcp::endpoint> found;
  try {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* list = nullptr;
    const std::string service = std::to_string(port);
    const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
    if (rc != 0) {
      error = rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc);
    } else {
      for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        tcp::endpoint endpoint;
        if (ai->ai_addrlen > endpoint.capacity()) continue;
        std::memcpy(endpoint.data(), ai->ai_addr, ai->ai_addrlen);
        endpoint.resize(ai->ai_addrlen);
        if (std::find(found.begin(), found.end(), endpoint) == found.end()) {
          found.push_back(endpoint);
        }
      }
      ::freeaddrinfo(list);
      if (found.empty()) error = "no IPv4 or IPv6 address";
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  {
    std::lock_guard lock(lookup->mu);
    lookup->done = true;
    lookup->error = std::move(error);
    lookup->found = std::move(found);
  }
  lookup->cv.notify_all();
}

IpAddress ToIpAddress(const asio::ip::address& a) {
  IpAddress out;
  if (a.is_v4()) {
    const auto bytes = a.to_v4().to_bytes();
    std::copy(bytes.begin(), bytes.end(), out.bytes.begin());
  } else {
    out.v6 = true;
    const auto bytes = a.to_v6().to_bytes();
    std::copy(bytes.begin(), bytes.end(), out.bytes.begin());
  }
  return out;
}

std::string EndpointText(const tcp::endpoint& e) {
  return e.address().is_v6() ? fmt::format("[{}]:{}", e.address().to_string(), e.port())
                             : fmt::format("{}:{}", e.address().to_string(), e.port());
}

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsPrintableAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::string Lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Why the request cannot be sent as given, or "" when it can. Names a bad
// header by its name only (a value may be a secret).
std::string CheckRequest(const WebhookUrl& url,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  if (url.scheme != "https" && url.scheme != "http") return "the URL's scheme is not http or https";
  if (url.port < 1 || url.port > 65535) return "the URL's port is not from 1 to 65535";
  if (url.host.empty() || !IsPrintableAscii(url.host)) return "the URL's host is not valid";
  if (!url.target.starts_with('/') || !IsPrintableAscii(url.target)) {
    return "the URL's path is not valid";
  }
  static constexpr std::string_view kFraming[] = {
      "host", "content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection",
      "te",   "trailer",        "upgrade",           "expect"};
  for (const auto& [name, value] : headers) {
    const std::string shown = name.size() <= 64 && IsPrintableAscii(name) ? name : "?";
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) {
      return fmt::format("a header name is not a token ('{}')", shown);
    }
    const bool value_ok = std::all_of(value.begin(), value.end(), [](char c) {
      const auto byte = static_cast<unsigned char>(c);
      return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
    });
    if (!value_ok) return fmt::format("the value of header {} has a control character", shown);
    if (std::find(std::begin(kFraming), std::end(kFraming), Lowered(name)) != std::end(kFraming)) {
      return fmt::format("header {} is set by the transport, not by the caller", shown);
    }
  }
  return "";
}

// The call's state: the result being filled in, its deadlines, and its
// io_context, run until each step's operation has completed.
struct Call {
  Call(const WebhookUrl& u, const OutboundOptions& o, Clock::time_point start)
      : url(u),
        options(o),
        connect_deadline(start + std::min(o.connect_timeout, o.total_timeout)),
        total_deadline(start + o.total_timeout) {}

  const WebhookUrl& url;
  const OutboundOptions& options;
  const Clock::time_point connect_deadline;
  const Clock::time_point total_deadline;
  asio::io_context ioc{1};
  OutboundResult result;

  // Starts an operation with `start(handler)` and runs the io_context until
  // it has completed; the handler's error.
  template <typename Start>
  beast::error_code Run(Start&& start) {
    beast::error_code out = asio::error::operation_aborted;
    start([&out](beast::error_code ec, auto&&...) { out = ec; });
    ioc.restart();
    ioc.run();
    return out;
  }

  void Fail(OutboundFailure failure, std::string detail) {
    result.failure = failure;
    result.detail = std::move(detail);
  }

  long long ms(milliseconds d) const { return static_cast<long long>(d.count()); }
};

// The addresses to connect to: the URL's IP literal, or what its name
// resolves to before the connect deadline. Empty after a failure.
std::vector<tcp::endpoint> Resolve(Call& call) {
  const WebhookUrl& url = call.url;
  if (url.host_is_ip) {
    beast::error_code ec;
    const asio::ip::address address = asio::ip::make_address(url.host, ec);
    if (ec) {
      call.Fail(OutboundFailure::kResolve, "the URL's host is not an IP address");
      return {};
    }
    return {tcp::endpoint(address, static_cast<uint16_t>(url.port))};
  }
  auto lookup = std::make_shared<Lookup>();
  std::thread([lookup, host = url.host, port = url.port] {
    RunLookup(lookup, host, port);
  }).detach();
  std::unique_lock lock(lookup->mu);
  if (!lookup->cv.wait_until(lock, call.connect_deadline, [&] { return lookup->done; })) {
    call.Fail(OutboundFailure::kTimeout,
              fmt::format("resolving {} took longer than the connect timeout ({} ms)", url.host,
                          call.ms(call.options.connect_timeout)));
    return {};
  }
  if (!lookup->error.empty()) {
    call.Fail(OutboundFailure::kResolve,
              fmt::format("cannot resolve {}: {}", url.host, lookup->error));
    return {};
  }
  return lookup->found;
}

// Every address is checked, not only the one a connect would reach first: the
// connect may fall through to any of them.
bool CheckAddresses(Call& call, const std::vector<tcp::endpoint>& endpoints,
                    const AddressPolicy& policy) {
  for (const tcp::endpoint& endpoint : endpoints) {
    const IpAddress address = ToIpAddress(endpoint.address());
    if (policy.Allows(address)) continue;
    const std::string text = address.ToString();
    call.Fail(OutboundFailure::kForbiddenAddress,
              call.url.host_is_ip
                  ? fmt::format("{} is not a public address (nor in an allowed network)", text)
                  : fmt::format("{} resolves to {}, which is not a public address (nor in an "
                                "allowed network)",
                                call.url.host, text));
    return false;
  }
  return true;
}

bool Connect(Call& call, beast::tcp_stream& stream, const std::vector<tcp::endpoint>& endpoints) {
  std::vector<std::string> tried;
  tcp::endpoint connected;
  stream.expires_at(call.connect_deadline);
  const beast::error_code ec = call.Run([&](auto handler) {
    stream.async_connect(
        endpoints,
        [&tried](const beast::error_code&, const tcp::endpoint& next) {
          tried.push_back(EndpointText(next));
          return true;
        },
        [&connected, handler](beast::error_code e, const tcp::endpoint& endpoint) mutable {
          connected = endpoint;
          handler(e);
        });
  });
  if (ec) {
    const std::string where = fmt::format("{}", fmt::join(tried, ", "));
    if (ec == beast::error::timeout) {
      call.Fail(OutboundFailure::kTimeout,
                fmt::format("connecting to {} took longer than the connect timeout ({} ms)", where,
                            call.ms(call.options.connect_timeout)));
    } else {
      call.Fail(OutboundFailure::kConnect, fmt::format("connect to {}: {}", where, ec.message()));
    }
    return false;
  }
  call.result.address = connected.address().to_string();
  beast::error_code ignored;
  stream.socket().set_option(tcp::no_delay(true), ignored);
  return true;
}

// A client context: the peer's chain verified against ca_file or the
// system's roots, TLS 1.2 at least. Null (and the failure recorded) when the
// CA bundle cannot be loaded.
//
// One per ca_file for the process, built on first use: loading the system's
// bundle parses some 140 certificates (~20 ms of CPU), which every delivery
// would pay again. Sharing is safe: an SSL_CTX is not changed after it is
// built, and what differs per connection (the name verified, SNI) is set on
// the connection's SSL. A CA bundle changed on disk is read at the next start.
std::shared_ptr<ssl::context> ClientContext(Call& call) {
  static std::mutex mu;
  static auto* built = new std::map<std::string, std::shared_ptr<ssl::context>>();  // guarded by mu
  const std::string& ca_file = call.options.ca_file;
  std::lock_guard lock(mu);
  if (auto it = built->find(ca_file); it != built->end()) return it->second;

  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    call.Fail(OutboundFailure::kTls, "cannot set TLS 1.2 as the minimum version");
    return nullptr;
  }
  context->set_verify_mode(ssl::verify_peer);
  beast::error_code ec;
  if (ca_file.empty()) {
    context->set_default_verify_paths(ec);
  } else {
    context->load_verify_file(ca_file, ec);
  }
  if (ec) {
    call.Fail(
        OutboundFailure::kTls,
        ca_file.empty()
            ? fmt::format("cannot load the system's CA certificates: {}", ec.message())
            : fmt::format("cannot load the CA certificates in {}: {}", ca_file, ec.message()));
    return nullptr;
  }
  built->emplace(ca_file, context);
  return context;
}

bool Handshake(Call& call, beast::ssl_stream<beast::tcp_stream>& stream) {
  const std::string& host = call.url.host;
  SSL* ssl = stream.native_handle();
  // OpenSSL's own name check as well as asio's callback: the same rule
  // (RFC 6125, no partial wildcards), and a verify result that says
  // "hostname mismatch" in the detail rather than an unspecified failure.
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const int named = call.url.host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                                        : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  if (named != 1 || (!call.url.host_is_ip && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1)) {
    call.Fail(OutboundFailure::kTls, fmt::format("cannot verify TLS for the host {}", host));
    return false;
  }
  stream.set_verify_callback(ssl::host_name_verification(host));
  beast::get_lowest_layer(stream).expires_at(call.connect_deadline);
  const beast::error_code ec = call.Run(
      [&](auto handler) { stream.async_handshake(ssl::stream_base::client, std::move(handler)); });
  if (!ec) return true;
  if (ec == beast::error::timeout) {
    call.Fail(OutboundFailure::kTimeout,
              fmt::format("the TLS handshake with {} did not finish within the connect timeout "
                          "({} ms)",
                          call.result.address, call.ms(call.options.connect_timeout)));
    return false;
  }
  const long verify = SSL_get_verify_result(ssl);
  call.Fail(OutboundFailure::kTls,
            verify != X509_V_OK
                ? fmt::format("TLS handshake with {}: certificate verify failed: {}",
                              call.result.address, X509_verify_cert_error_string(verify))
                : fmt::format("TLS handshake with {}: {}", call.result.address, ec.message()));
  return false;
}

// Whether the bytes an answer began with, none of them parsed yet, could
// start an HTTP/1.x status line.
bool CouldBeHttp(const beast::flat_buffer& buffer) {
  constexpr std::string_view kStart = "HTTP/1.";
  const auto data = buffer.data();
  const std::string_view got(static_cast<const char*>(data.data()),
                             std::min(data.size(), kStart.size()));
  return kStart.starts_with(got);
}

bool IsClose(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
         ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated;
}

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category();
}

template <typename Stream>
void Exchange(Call& call, Stream& stream, std::string_view body,
              const std::vector<std::pair<std::string, std::string>>& headers) {
  beast::get_lowest_layer(stream).expires_at(call.total_deadline);
  const long long total_ms = call.ms(call.options.total_timeout);

  bhttp::request<bhttp::string_body> request(bhttp::verb::post, call.url.target, 11);
  request.set(bhttp::field::host, call.url.Authority());
  request.set(bhttp::field::content_type, "application/json");
  request.set(bhttp::field::user_agent, "payments-webhooks/1");
  request.set(bhttp::field::connection, "close");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = std::string(body);
  request.prepare_payload();

  call.result.request_sent = true;
  const beast::error_code write_error =
      call.Run([&](auto handler) { bhttp::async_write(stream, request, std::move(handler)); });
  if (write_error == beast::error::timeout) {
    call.Fail(OutboundFailure::kTimeout,
              fmt::format("the request was not sent within the total timeout ({} ms)", total_ms));
    return;
  }
  // After a failed write the answer is read all the same: a server may have
  // answered (413, say) and closed before taking the whole request.

  beast::flat_buffer buffer;
  for (int informational = 0;; ++informational) {
    bhttp::response_parser<CappedBody> parser;
    parser.header_limit(kHeaderLimit);
    // The cap is CappedBody's, which keeps the status and stops reading.
    // Not boost::none: Beast 1.74 compares a Content-Length with the limit
    // as optionals, and every length is greater than none.
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    parser.get().body().limit = call.options.max_response_body;
    size_t parsed = 0;  // bytes the parser took: a status line it accepted, at least
    const beast::error_code ec = call.Run([&](auto handler) {
      bhttp::async_read_header(
          stream, buffer, parser,
          [&parsed, handler = std::move(handler)](beast::error_code e, size_t n) mutable {
            parsed = n;
            handler(e);
          });
    });
    if (ec) {
      if (ec == beast::error::timeout) {
        call.Fail(OutboundFailure::kTimeout,
                  fmt::format("no answer's status line and header within the total timeout "
                              "({} ms)",
                              total_ms));
      } else if (ec == bhttp::error::header_limit) {
        call.Fail(OutboundFailure::kMalformed,
                  fmt::format("the answer's header is longer than {} bytes", kHeaderLimit));
      } else if ((parsed == 0 && !CouldBeHttp(buffer)) || (IsHttpParseError(ec) && !IsClose(ec))) {
        call.Fail(OutboundFailure::kMalformed,
                  fmt::format("the answer is not HTTP/1.x: {}", ec.message()));
      } else if (write_error) {
        call.Fail(OutboundFailure::kClosed,
                  fmt::format("the request could not be sent whole: {}", write_error.message()));
      } else {
        call.Fail(OutboundFailure::kClosed,
                  IsClose(ec) ? std::string("the peer closed the connection before a whole "
                                            "status line and header")
                              : fmt::format("reading the answer: {}", ec.message()));
      }
      return;
    }
    const int status = static_cast<int>(parser.get().result_int());
    if (status < 100 || status > 599) {
      call.Fail(OutboundFailure::kMalformed,
                fmt::format("the answer's status {} is not from 100 to 599", status));
      return;
    }
    if (status < 200 && status != 101) {
      if (informational + 1 >= kMaxInformational) {
        call.Fail(OutboundFailure::kMalformed,
                  fmt::format("more than {} informational (1xx) answers", kMaxInformational));
        return;
      }
      continue;
    }

    call.result.status = status;
    const std::string_view retry_after = parser.get()[bhttp::field::retry_after];
    call.result.retry_after = std::string(retry_after.substr(0, kMaxRetryAfter));
    // The status is the endpoint's decision; a body cut short by the cap, a
    // close, a deadline or bad framing does not change it, and is noted.
    beast::error_code body_error;
    const CappedBody::value_type& kept = parser.get().body();
    while (!parser.is_done() && !kept.dropped && kept.data.size() < kept.limit && !body_error) {
      body_error = call.Run([&](auto handler) {
        bhttp::async_read_some(stream, buffer, parser, std::move(handler));
      });
    }
    if (kept.dropped || (!parser.is_done() && kept.data.size() >= kept.limit)) {
      call.result.detail = fmt::format(
          "the answer's body is longer than {} bytes; kept the first {}", kept.limit, kept.limit);
    } else if (body_error == beast::error::timeout) {
      call.result.detail = fmt::format(
          "the answer's body did not arrive whole within the total timeout ({} ms)", total_ms);
    } else if (body_error) {
      call.result.detail = fmt::format("the answer's body was cut short: {}", body_error.message());
    }
    call.result.body = std::move(parser.get().body().data);
    return;
  }
}

enum class Phase { kCheck, kResolve, kConnect, kTls, kExchange };

OutboundFailure FailureOf(Phase phase) {
  switch (phase) {
    case Phase::kCheck:
      return OutboundFailure::kMalformed;
    case Phase::kResolve:
      return OutboundFailure::kResolve;
    case Phase::kConnect:
      return OutboundFailure::kConnect;
    case Phase::kTls:
      return OutboundFailure::kTls;
    case Phase::kExchange:
      return OutboundFailure::kClosed;
  }
  return OutboundFailure::kClosed;
}

void Post(Call& call, Phase& phase, std::string_view body,
          const std::vector<std::pair<std::string, std::string>>& headers,
          const AddressPolicy& policy) {
  if (std::string why = CheckRequest(call.url, headers); !why.empty()) {
    call.Fail(OutboundFailure::kMalformed, fmt::format("request not sent: {}", why));
    return;
  }
  phase = Phase::kResolve;
  const std::vector<tcp::endpoint> endpoints = Resolve(call);
  if (endpoints.empty() || !CheckAddresses(call, endpoints, policy)) return;

  phase = Phase::kConnect;
  if (call.url.scheme == "http") {
    beast::tcp_stream stream(call.ioc);
    if (!Connect(call, stream, endpoints)) return;
    phase = Phase::kExchange;
    Exchange(call, stream, body, headers);
    return;
  }
  phase = Phase::kTls;
  const std::shared_ptr<ssl::context> context = ClientContext(call);
  if (!context) return;
  beast::ssl_stream<beast::tcp_stream> stream(call.ioc, *context);
  phase = Phase::kConnect;
  if (!Connect(call, beast::get_lowest_layer(stream), endpoints)) return;
  phase = Phase::kTls;
  if (!Handshake(call, stream)) return;
  phase = Phase::kExchange;
  // No close_notify: the request said Connection: close, and a peer that
  // never answers one would hold the call until its deadline.
  Exchange(call, stream, body, headers);
}

}  // namespace

std::string_view ToString(OutboundFailure f) {
  switch (f) {
    case OutboundFailure::kNone:
      return "none";
    case OutboundFailure::kResolve:
      return "resolve";
    case OutboundFailure::kForbiddenAddress:
      return "forbidden_address";
    case OutboundFailure::kConnect:
      return "connect";
    case OutboundFailure::kTls:
      return "tls";
    case OutboundFailure::kTimeout:
      return "timeout";
    case OutboundFailure::kClosed:
      return "closed";
    case OutboundFailure::kMalformed:
      return "malformed";
  }
  return "unknown";
}

OutboundResult PostWebhook(const WebhookUrl& url, std::string_view body,
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           const AddressPolicy& policy, const OutboundOptions& options) {
  const Clock::time_point start = Clock::now();
  OutboundResult out;
  Phase phase = Phase::kCheck;
  try {
    Call call(url, options, start);
    Post(call, phase, body, headers, policy);
    out = std::move(call.result);
  } catch (const std::exception& e) {
    out = OutboundResult{};
    out.failure = FailureOf(phase);
    out.detail = fmt::format("unexpected error: {}", e.what());
    out.request_sent = phase == Phase::kExchange;
  } catch (...) {
    out = OutboundResult{};
    out.failure = FailureOf(phase);
    out.detail = "unexpected error";
    out.request_sent = phase == Phase::kExchange;
  }
  out.latency = duration_cast<milliseconds>(Clock::now() - start);
  return out;
}

}  // namespace payments::http
