// The tests' HTTP client: http::Client on 127.0.0.1 with JSON helpers.
// Not thread-safe; one per test thread.
//
//   HttpClient c(port);
//   auto r = c.Post("/v1/payments", body, JsonHeaders(key));
//   EXPECT_EQ(r.status, 200);
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http/client.h"

namespace payments::testing {

struct HttpResponse : http::ClientResponse {
  nlohmann::json Json() const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  explicit HttpClient(int port, std::chrono::milliseconds timeout = std::chrono::seconds(30))
      : client_("127.0.0.1", port, timeout) {}

  HttpResponse Request(const std::string& method, const std::string& target,
                       const std::string& body = "", const Headers& headers = {}) {
    return HttpResponse{client_.Send(method, target, body, headers)};
  }
  HttpResponse Get(const std::string& target, const Headers& headers = {}) {
    return Request("GET", target, "", headers);
  }
  HttpResponse Post(const std::string& target, const std::string& body,
                    const Headers& headers = {}) {
    return Request("POST", target, body, headers);
  }
  bool Connect() { return client_.Connect(); }
  bool connected() const { return client_.connected(); }
  int connections_opened() const { return client_.connections_opened(); }

 private:
  http::Client client_;
};

// Authorization and Content-Type (and Idempotency-Key) for an API call.
Headers JsonHeaders(const std::string& key, const std::string& idempotency_key = "");

}  // namespace payments::testing
