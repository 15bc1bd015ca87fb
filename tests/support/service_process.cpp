#include "support/service_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/crypto.h"
#include "support/sandbox_process.h"

namespace payments::testing {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int PortOf(const std::string& address) {
  const size_t colon = address.rfind(':');
  return colon == std::string::npos ? 0 : std::stoi(address.substr(colon + 1));
}

// fork + exec of the binary with extra environment and stdout/stderr files.
pid_t Spawn(const std::vector<std::string>& args, const Env& env, const std::string& out_path,
            const std::string& err_path) {
  std::vector<std::string> argv_store = {PAYMENTS_BINARY};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    if (!env.contains(name)) env_store.push_back(entry);
  }
  for (const auto& [k, v] : env) env_store.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const int err =
        err_path == out_path ? out : open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    const int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

bool Eventually(const std::function<bool()>& f, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (f()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string TestLogDir() {
  const char* env = std::getenv("PAYMENTS_TEST_LOG_DIR");
  std::string dir = env && *env ? env : PAYMENTS_TEST_LOG_DIR;
  std::error_code ec;
  fs::create_directories(dir, ec);
  return dir;
}

void RecordSecretForLogScan(const std::string& secret) {
  std::ofstream out(TestLogDir() + "/secrets.txt", std::ios::app);
  out << secret << "\n";
}

std::unique_ptr<ServiceProcess> ServiceProcess::Start(const Env& env_in, bool wait_until_listening,
                                                      std::chrono::seconds timeout) {
  Env env = env_in;
  env.try_emplace("PAYMENTS_LISTEN", "127.0.0.1:0");
  env.try_emplace("PAYMENTS_ADMIN_LISTEN", "127.0.0.1:0");
  env.try_emplace("PAYMENTS_DRAIN_DELAY", "0");
  // Required with a database URL; a test that means to go without passes "".
  env.try_emplace("PAYMENTS_FINGERPRINT_KEY", "e2e-fingerprint-key-0123456789abcdef");
  // One processor for every instance of the test, as in a deployment. A
  // test that sets the variable decides ("" for serve's child sandbox), and
  // so does one that configures the sandbox (PAYMENTS_SANDBOX_*): it gets
  // the child, with a journal of its own.
  bool configures_sandbox = false;
  for (const auto& [name, value] : env) {
    configures_sandbox = configures_sandbox || name.starts_with("PAYMENTS_SANDBOX_");
  }
  if (!env.contains("PAYMENTS_PROCESSOR_URL")) {
    env["PAYMENTS_PROCESSOR_URL"] = configures_sandbox ? "" : SharedSandboxUrl();
  }
  if (env["PAYMENTS_PROCESSOR_URL"].empty() && !env.contains("PAYMENTS_DATA_DIR")) {
    env.try_emplace("PAYMENTS_SANDBOX_JOURNAL",
                    TestLogDir() + "/sandbox-" + RandomBase62(8) + ".journal");
  }
  std::unique_ptr<ServiceProcess> p(new ServiceProcess());
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "x";
  p->log_path_ = TestLogDir() + "/" + name + "-" + RandomBase62(6) + ".log";
  p->pid_ = Spawn({"serve"}, env, p->log_path_, p->log_path_);
  const std::string wanted = wait_until_listening ? "listening" : "admin listening";
  if (!p->WaitForLog(wanted, timeout)) {
    ADD_FAILURE() << "payments serve did not log '" << wanted << "' in time; its output:\n"
                  << p->Logs();
    return nullptr;
  }
  for (const auto& line : p->LogLines("admin listening")) {
    p->admin_port_ = PortOf(line.value("admin", ""));
  }
  for (const auto& line : p->LogLines("listening")) {
    p->public_port_ = PortOf(line.value("public", ""));
  }
  return p;
}

ServiceProcess::~ServiceProcess() {
  if (Running()) {
    kill(pid_, SIGKILL);
    Wait(std::chrono::seconds(10));
  }
}

int ServiceProcess::public_port() {
  if (public_port_ == 0 && WaitForLog("listening", std::chrono::seconds(30))) {
    for (const auto& line : LogLines("listening")) public_port_ = PortOf(line.value("public", ""));
  }
  return public_port_;
}

void ServiceProcess::Signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

bool ServiceProcess::Running() {
  if (exit_code_ >= 0 || pid_ <= 0) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

int ServiceProcess::Wait(std::chrono::milliseconds timeout) {
  Eventually([&] { return !Running(); }, timeout);
  return exit_code_;
}

std::string ServiceProcess::Logs() const { return ReadFile(log_path_); }

std::vector<nlohmann::json> ServiceProcess::LogLines(const std::string& message) const {
  std::vector<nlohmann::json> out;
  std::istringstream in(Logs());
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("message", "") == message) out.push_back(std::move(j));
  }
  return out;
}

bool ServiceProcess::WaitForLog(const std::string& message, std::chrono::milliseconds timeout) {
  return Eventually(
      [&] {
        if (!LogLines(message).empty()) return true;
        return false;
      },
      timeout);
}

CommandResult RunPayments(const std::vector<std::string>& args, const Env& env,
                          std::chrono::seconds timeout) {
  const std::string base = TestLogDir() + "/cmd-" + RandomBase62(8);
  const pid_t pid = Spawn(args, env, base + ".out", base + ".err");
  CommandResult result;
  int status = 0;
  const bool done = Eventually([&] { return waitpid(pid, &status, WNOHANG) == pid; }, timeout);
  if (!done) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFile(base + ".out");
  result.err = ReadFile(base + ".err");
  return result;
}

TestMerchant CreateMerchant(const std::string& conninfo, const std::string& name) {
  auto r = RunPayments({"merchants", "create", "--name", name, "--json"},
                       {{"PAYMENTS_DATABASE_URL", conninfo}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_object()) {
    ADD_FAILURE() << "merchants create printed: " << r.out;
    return {};
  }
  TestMerchant m{j.value("id", ""), j.value("secret_key", "")};
  RecordSecretForLogScan(m.key);
  return m;
}

}  // namespace payments::testing
