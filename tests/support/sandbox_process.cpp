#include "support/sandbox_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "core/crypto.h"
#include "support/child_process.h"
#include "support/eventually.h"

namespace payments::testing {

// support/service_process.h, whose CommandResult is not child_process.h's.
std::string TestLogDir();

SandboxProcess::~SandboxProcess() = default;

std::string SandboxProcess::Output() const { return process_->Output(); }

void SandboxProcess::Kill() {
  process_->Signal(SIGKILL);
  process_->Wait();
}

using json = nlohmann::json;

std::unique_ptr<SandboxProcess> SandboxProcess::Start(const std::string& journal,
                                                      std::vector<std::string> extra) {
  std::vector<std::string> args = {"sandbox", "--journal", journal};
  auto given = [&](const char* flag) {
    return std::find(extra.begin(), extra.end(), flag) != extra.end();
  };
  if (!given("--listen")) extra.insert(extra.end(), {"--listen", "127.0.0.1:0"});
  if (!given("--hang")) extra.insert(extra.end(), {"--hang", "300"});  // no-answer cards, briefly
  args.insert(args.end(), extra.begin(), extra.end());
  auto s = std::unique_ptr<SandboxProcess>(new SandboxProcess());
  s->process_ = ChildProcess::Start(PaymentsCommand(args));
  if (!s->process_) {
    ADD_FAILURE() << "cannot start the sandbox";
    return nullptr;
  }
  const bool up = Eventually(
      [&] {
        for (const json& line : s->Lines()) {
          if (line.value("message", "") == "sandbox listening") {
            s->port_ = line.value("port", 0);
            return true;
          }
        }
        return s->process_->Exited();
      },
      std::chrono::seconds(30));
  if (!up || s->port_ == 0) {
    ADD_FAILURE() << "the sandbox did not start listening:\n" << s->Output();
    return nullptr;
  }
  return s;
}

std::vector<json> SandboxProcess::Lines() const {
  std::vector<json> lines;
  std::istringstream in(Output());
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object()) lines.push_back(std::move(j));
  }
  return lines;
}

bool SandboxProcess::Logged(const std::string& message) const {
  for (const json& line : Lines()) {
    if (line.value("message", "") == message) return true;
  }
  return false;
}

std::string SharedSandboxUrl() {
  // Destroyed at exit, which kills the child.
  static std::unique_ptr<SandboxProcess> shared = SandboxProcess::Start(
      TestLogDir() + "/sandbox-" + std::to_string(::getpid()) + "-" + RandomBase62(6) + ".journal",
      {"--hang", "2000"});
  return shared ? shared->url() : "http://127.0.0.1:1";
}

}  // namespace payments::testing
