// A child process for tests that drive the real binary from outside: started
// with an argument vector (no shell), stdout and stderr captured to a file,
// signalled and waited for. Lets a test run two commands at once or kill one
// halfway with SIGKILL.
//
//   auto p = ChildProcess::Start({PAYMENTS_BINARY, "migrate", "up", ...});
//   p->Signal(SIGKILL);
//   int code = p->Wait();          // exit code, or 128 + signal
//   std::string out = p->Output();
//
// Not thread-safe. The destructor kills a child still running.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace payments::testing {

class ChildProcess {
 public:
  static std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& argv);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  void Signal(int signal);
  // Waits for the exit; returns the exit code, or 128 + the signal number.
  int Wait();
  // True once the child has exited (does not block).
  bool Exited();
  // Everything written to stdout and stderr so far.
  std::string Output() const;

 private:
  ChildProcess(pid_t pid, std::string output_path)
      : pid_(pid), output_path_(std::move(output_path)) {}
  pid_t pid_;
  std::string output_path_;
  bool reaped_ = false;
  int code_ = -1;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs the command to completion.
CommandResult RunCommand(const std::vector<std::string>& argv);

// {PAYMENTS_BINARY, args...}: the real binary under test.
std::vector<std::string> PaymentsCommand(std::vector<std::string> args);

}  // namespace payments::testing
