// A real HAProxy in front of the service for drills: started in the
// foreground on a free port, health-checking each server's /readyz on its
// admin port, reconfigured at run time through its admin socket (as an
// operator or an orchestrator would), stopped by the destructor.
//
//   Haproxy lb({{"a", 8081, 9091}, {"b", 8082, 9092}}, /*spare_slots=*/2);
//   lb.SetServer("s3", 8083, 9093);   // a new instance joins
//   HttpClient c(lb.port());
//
// Not thread-safe.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace payments::testing {

struct Backend {
  int public_port;
  int admin_port;
};

class Haproxy {
 public:
  // Starts HAProxy with `slots` server slots s1..sN; the first backends.size()
  // point at the given instances, the rest stay down until SetServer.
  Haproxy(const std::vector<Backend>& backends, int slots);
  Haproxy(const Haproxy&) = delete;
  Haproxy& operator=(const Haproxy&) = delete;
  ~Haproxy();

  bool ok() const { return pid_ > 0; }
  int port() const { return port_; }
  // Points slot `name` (s1, s2, ...) at an instance.
  bool SetServer(const std::string& name, const Backend& backend);
  // The state HAProxy's health checks see for each slot ("UP", "DOWN", ...).
  std::string ServerState(const std::string& name);
  // Runs one admin socket command and returns the answer.
  std::string Command(const std::string& command);
  std::string Logs() const;

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace payments::testing
