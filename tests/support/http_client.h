// A small blocking HTTP/1.1 client for tests, on Boost.Beast: one keep-alive
// connection that it reopens when the server closed it. Not thread-safe; one
// per test thread.
//
//   HttpClient c(port);
//   auto r = c.Post("/v1/payments", body, {{"Authorization", "Bearer " + key}});
//   EXPECT_EQ(r.status, 200);
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace payments::testing {

struct HttpResponse {
  int status = 0;  // 0 when the request failed at the transport level
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string transport_error;
  bool connection_closed = false;  // the server closed the connection after this response

  nlohmann::json Json() const;
  std::string Header(const std::string& lower_name) const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  explicit HttpClient(int port, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient();

  HttpResponse Request(const std::string& method, const std::string& target,
                       const std::string& body = "", const Headers& headers = {});
  HttpResponse Get(const std::string& target, const Headers& headers = {}) {
    return Request("GET", target, "", headers);
  }
  HttpResponse Post(const std::string& target, const std::string& body,
                    const Headers& headers = {});

  // Opens the connection now (to hold a keep-alive connection before a test step).
  bool Connect();
  bool connected() const;
  // How many TCP connections this client has opened.
  int connections_opened() const { return connections_opened_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int connections_opened_ = 0;
};

// A JSON body with Content-Type, for POSTs.
Headers JsonHeaders(const std::string& key, const std::string& idempotency_key = "");

}  // namespace payments::testing
