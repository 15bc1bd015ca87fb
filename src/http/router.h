// Maps (method, path) to a handler by path templates such as
// "/v1/payments/{id}/capture". The matched template becomes the request's
// route, which logs and metrics use as a label (never the raw path, whose ids
// would explode the label space). Build once at start-up, then read from any
// number of threads.
//
//   Router r;
//   r.Add("GET", "/v1/payments/{id}", GetPayment);
//   Router::Match m = r.Find("GET", "/v1/payments/pay_123");
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace payments::http {

using Handler = std::function<Response(Request&)>;

class Router {
 public:
  struct Match {
    enum class Kind { kFound, kNotFound, kMethodNotAllowed } kind = Kind::kNotFound;
    const Handler* handler = nullptr;
    std::string route;
    std::map<std::string, std::string, std::less<>> params;
    std::vector<std::string> allowed_methods;  // for kMethodNotAllowed
  };

  void Add(std::string method, std::string path_template, Handler handler);
  Match Find(std::string_view method, std::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::string path_template;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace payments::http
