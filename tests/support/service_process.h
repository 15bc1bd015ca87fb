// Runs the real `payments` binary for end-to-end tests: `serve` as a child
// process on ports it picks itself (127.0.0.1:0), its output in a log file
// under the test log directory, found by its "listening" log line; and
// one-shot subcommands with their output and exit code.
//
//   auto svc = ServiceProcess::Start({{"PAYMENTS_DATABASE_URL", db.conninfo()}});
//   HttpClient c(svc->public_port());
//   svc->Signal(SIGTERM);
//   EXPECT_EQ(svc->Wait(std::chrono::seconds(30)), 0);
//
// Not thread-safe, except Logs() and the port accessors.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace payments::testing {

using Env = std::map<std::string, std::string>;

// Where every service log of the test run goes (build/test-logs).
std::string TestLogDir();
// Records a secret key a test used, for the log scan that runs last.
void RecordSecretForLogScan(const std::string& secret);

class ServiceProcess {
 public:
  // Starts `payments serve` with env (PAYMENTS_LISTEN and PAYMENTS_ADMIN_LISTEN
  // default to 127.0.0.1:0) and waits until it logs "listening" (when
  // wait_until_listening) or "admin listening". Fails the test and returns
  // nullptr if it does not within the timeout.
  static std::unique_ptr<ServiceProcess> Start(
      const Env& env, bool wait_until_listening = true,
      std::chrono::seconds timeout = std::chrono::seconds(60));
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;
  ~ServiceProcess();  // SIGKILL if still running

  int public_port();  // waits for the "listening" line when needed; 0 if never
  int admin_port() const { return admin_port_; }
  pid_t pid() const { return pid_; }

  void Signal(int sig);
  // The exit code (128+signal if killed), or -1 if still running at the deadline.
  int Wait(std::chrono::milliseconds timeout);
  bool Running();

  // All the process has printed so far.
  std::string Logs() const;
  // The JSON log lines with this message.
  std::vector<nlohmann::json> LogLines(const std::string& message) const;
  // Waits until a log line with this message appears.
  bool WaitForLog(const std::string& message, std::chrono::milliseconds timeout);

 private:
  ServiceProcess() = default;
  std::string log_path_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
  int public_port_ = 0;
  int admin_port_ = 0;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `payments args...` with env added to the environment.
CommandResult RunPayments(const std::vector<std::string>& args, const Env& env = {},
                          std::chrono::seconds timeout = std::chrono::seconds(120));

struct TestMerchant {
  std::string id;
  std::string key;
};
// Creates a merchant through `payments merchants create --json` on this database.
TestMerchant CreateMerchant(const std::string& conninfo, const std::string& name = "Test merchant");

// Polls f every 10 ms until it returns true or the timeout passes.
bool Eventually(const std::function<bool()>& f, std::chrono::milliseconds timeout);

}  // namespace payments::testing
