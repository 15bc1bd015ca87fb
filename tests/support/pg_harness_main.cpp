// pg_harness: starts a throwaway PostgreSQL (initdb in a fresh directory under
// /tmp, Unix socket only), runs the given command with PAYMENTS_TEST_PG set to
// its maintenance database, stops the server, removes the directory and exits
// with the command's code. `make test` runs ctest under it.
//
//   pg_harness -- ctest --test-dir build -j2
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "serve/embedded_postgres.h"

int main(int argc, char** argv) {
  int first = 1;
  if (first < argc && std::string(argv[first]) == "--") ++first;
  if (first >= argc) {
    std::fprintf(stderr, "usage: pg_harness -- COMMAND [ARGS...]\n");
    return 2;
  }
  char tmpl[] = "/tmp/payments-pg-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  if (dir == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  chmod(dir, 0755);
  const std::string root = dir;
  payments::serve::EmbeddedPostgres pg({.data_dir = root + "/data",
                                        .socket_dir = root + "/run",
                                        .port = 5432,
                                        .settings = {{"max_connections", "400"}}});
  std::fprintf(stderr, "pg_harness: starting PostgreSQL in %s\n", dir);
  if (auto s = pg.Start(); !s) {
    std::fprintf(stderr, "pg_harness: %s\n", s.error().message.c_str());
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
    return 1;
  }
  setenv("PAYMENTS_TEST_PG", pg.ConnInfo("postgres").c_str(), 1);
  // Ignore terminal signals while the command runs, so that a Ctrl-C reaches
  // the command and we still stop the server afterwards.
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  const pid_t pid = fork();
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    execvp(argv[first], argv + first);
    std::perror("pg_harness: exec");
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::fprintf(stderr, "pg_harness: stopping PostgreSQL\n");
  if (auto s = pg.Stop(); !s) std::fprintf(stderr, "pg_harness: %s\n", s.error().message.c_str());
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  return code;
}
