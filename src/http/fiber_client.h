// An HTTP/1.1 client whose waits park the calling fiber (fibers::WaitSocket)
// instead of blocking its event loop, with a pool of kept-alive connections:
// the service's connection to a payment processor (processors/http_processor.h).
// Off a fiber the same waits block as poll() does, so tools and background
// threads use it too.
//
// Each Send reports how far the request got, because that decides whether
// money may have moved: kConnect (nothing sent: safe to say it did not
// happen), kTimeout or kClosed (the request was sent and no whole answer
// came back: unknown), kMalformed (an answer that is not HTTP, or is too
// large). It never sends a request twice: a kept-alive connection is checked
// for a close by the peer before it is reused, not after.
//
// The host is resolved once, at construction (a blocking resolver must not
// run on a fiber). Thread-safe: any number of fibers and threads may Send at
// once; each exchange holds a connection of its own.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace payments::http {

struct FiberClientOptions {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds read_timeout{10000};  // from the last byte sent to the whole answer
  size_t max_idle = 64;                           // kept-alive connections held for reuse
  size_t max_response_bytes = 1 << 20;
};

struct FiberResponse {
  int status = 0;
  std::string body;
};

enum class TransportFailure { kNone, kConnect, kTimeout, kClosed, kMalformed };
std::string_view ToString(TransportFailure failure);

struct FiberExchange {
  TransportFailure failure = TransportFailure::kNone;
  std::string detail;  // for logs: what failed (never the request body)
  FiberResponse response;
  // True when bytes of the request may have reached the peer.
  bool sent() const { return failure != TransportFailure::kConnect; }
};

class FiberClient {
 public:
  // Resolves host and port; an error when they do not resolve.
  static payments::Result<std::unique_ptr<FiberClient>> Create(const std::string& host, int port,
                                                               FiberClientOptions options);
  FiberClient(const FiberClient&) = delete;
  FiberClient& operator=(const FiberClient&) = delete;
  ~FiberClient();

  FiberExchange Send(std::string_view method, std::string_view target, std::string_view body,
                     const std::vector<std::pair<std::string, std::string>>& headers);

  struct Impl;

 private:
  explicit FiberClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace payments::http
