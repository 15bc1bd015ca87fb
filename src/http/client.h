// A blocking HTTP/1.1 client over one keep-alive TCP connection, on
// Boost.Beast: for `payments smoke` and for the tests. It reopens the
// connection when the server closed it between requests. Not thread-safe;
// one per thread.
//
//   http::Client c("127.0.0.1", 8080);
//   http::ClientResponse r = c.Send("GET", "/version");
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace payments::http {

struct ClientResponse {
  int status = 0;                              // 0 when the request failed at the transport level
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string transport_error;
  bool connection_closed = false;  // the server closed the connection after this response

  std::string Header(const std::string& lower_name) const;
};

class Client {
 public:
  Client(std::string host, int port, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  ClientResponse Send(const std::string& method, const std::string& target,
                      const std::string& body = "",
                      const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Opens the connection now; false when it cannot.
  bool Connect();
  bool connected() const;
  int connections_opened() const { return connections_opened_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int connections_opened_ = 0;
};

// Splits "http://host:port" into host and port; false when it is not one.
bool ParseHttpUrl(const std::string& url, std::string& host, int& port);

}  // namespace payments::http
