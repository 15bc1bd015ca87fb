// What /readyz reports: a set of named checks, each ok or failing with a
// reason. The instance is ready only when every check passes. Checks are
// written by the lifecycle and the health worker, read by the admin listener.
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace payments::serve {

class Health {
 public:
  struct Check {
    std::string name;
    bool ok = false;
    std::string detail;
  };

  void Set(const std::string& name, bool ok, std::string detail = {});
  // A check computed when readiness is asked (workers alive, say).
  void AddProbe(const std::string& name, std::function<Check()> probe);
  bool Ready() const;
  std::vector<Check> Checks() const;
  // The applied schema version the last schema check saw (for /version).
  void SetSchemaVersion(int64_t version);
  int64_t schema_version() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, Check> checks_;
  std::map<std::string, std::function<Check()>> probes_;
  int64_t schema_version_ = 0;
};

}  // namespace payments::serve
