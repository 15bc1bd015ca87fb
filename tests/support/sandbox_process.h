// `payments sandbox`, the SIMULATED processor, run by tests as a process of
// its own: on a port it picks itself (found by its "sandbox listening" log
// line), its journal where the test says. SharedSandboxUrl() is the one that
// every service a test binary starts talks to unless the test names another
// (ServiceProcess::Start), as every instance of a deployment talks to one
// processor.
//
//   auto s = SandboxProcess::Start(dir + "/sandbox.journal");
//   env["PAYMENTS_PROCESSOR_URL"] = s->url();
//   s->process().Signal(SIGKILL);
//
// Not thread-safe.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace payments::testing {

class ChildProcess;  // support/child_process.h

class SandboxProcess {
 public:
  // Fails the test and returns nullptr when it does not listen in 30 s.
  // On a free port, --hang 300 ms, unless extra_args say otherwise.
  static std::unique_ptr<SandboxProcess> Start(const std::string& journal,
                                               std::vector<std::string> extra_args = {});

  ~SandboxProcess();
  SandboxProcess(const SandboxProcess&) = delete;
  SandboxProcess& operator=(const SandboxProcess&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  ChildProcess& process() { return *process_; }
  // SIGKILL, and waits for it to be gone.
  void Kill();
  std::string Output() const;
  std::vector<nlohmann::json> Lines() const;
  bool Logged(const std::string& message) const;

 private:
  SandboxProcess() = default;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

// The test binary's sandbox, started on first use (journal under the test
// log directory, --hang 2000) and killed at exit.
std::string SharedSandboxUrl();

}  // namespace payments::testing
