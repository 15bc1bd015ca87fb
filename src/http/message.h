// The request and response types the handlers see: plain values, no Beast.
// Header names are stored lower-case. Not thread-safe; a request belongs to
// the one worker that handles it.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace payments::http {

struct Request {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // as sent: "/v1/payments?limit=3"
  std::string path;                                          // "/v1/payments"
  std::string query;                                         // "limit=3"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::string remote_address;

  // Filled in on the way through: the router's template and captures, the
  // request id, and the authenticated merchant.
  std::string route;  // "/v1/payments/{id}"
  std::map<std::string, std::string, std::less<>> path_params;
  std::string request_id;
  std::string merchant_id;
  std::chrono::steady_clock::time_point received_at;

  // The first value of a header, or "" (name in lower case).
  std::string_view Header(std::string_view lower_name) const;
  bool HasHeader(std::string_view lower_name) const;
  std::string_view PathParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // Closes the connection without writing anything: the answer is lost in
  // the network (the simulated processor's faults, sandbox/; never the API).
  bool drop_connection = false;

  // Annotations for the access log and metrics; never sent.
  std::string route;         // the matched template, "" when none matched
  std::string merchant_id;   // the authenticated merchant
  std::string error_detail;  // internal cause of a 5xx

  Response& SetHeader(std::string name, std::string value);
  std::string_view Header(std::string_view name) const;  // case-insensitive
};

}  // namespace payments::http
