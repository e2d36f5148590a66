#pragma once
// Stopping a child process by its PID, for every harness and benchmark that starts one (the
// daemon, nginx, slapd, Samba). Header-only: benchmarks compile harness files into themselves
// rather than link the harness library (which pulls in GoogleTest).
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

namespace trustgate::testing {

// A waitpid() status as an exit code (128 + signal when killed).
inline int exit_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// SIGTERM and wait, SIGKILL after `grace`; the exit status (0 when `pid` is not running).
// Sets `pid` to -1.
inline int stop_process(pid_t& pid, std::chrono::seconds grace) {
  if (pid <= 0) return 0;
  ::kill(pid, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + grace;
  int status = 0;
  for (;;) {
    if (::waitpid(pid, &status, WNOHANG) == pid) break;
    if (std::chrono::steady_clock::now() > until) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid = -1;
  return exit_status(status);
}

}  // namespace trustgate::testing
