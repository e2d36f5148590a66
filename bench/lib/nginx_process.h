#pragma once
// nginx on a loopback port, for side-by-side benchmarks: a config file of its own in a fresh
// temp folder (nginx -p <folder>), every path (pid, error log, temp folders) inside it,
// `daemon off` and `master_process off` (one process: the one started, so it is stopped by its
// PID and nothing else), access log off, answering every request `return 200` with a small JSON
// body. Stopped by PID (SIGTERM, SIGKILL after a deadline); the folder is removed after.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace trustgate::bench {

struct NginxOptions {
  std::string binary = "/usr/sbin/nginx";
  int port = 0;
  int worker_connections = 4096;
  int backlog = 4096;                      // listen ... backlog=
  int keepalive_timeout_seconds = 60;      // an idle keep-alive connection is closed after this
  int keepalive_requests = 1000;           // requests per connection, then close
  int client_header_timeout_seconds = 10;  // a request head must arrive within this (total)
  std::string body = R"({"status":"ok"})";
};

class NginxProcess {
 public:
  explicit NginxProcess(NginxOptions options);  // writes the config and starts nginx
  ~NginxProcess();                              // stops it, removes the folder
  NginxProcess(const NginxProcess&) = delete;
  NginxProcess& operator=(const NginxProcess&) = delete;

  // Polls GET / until 200 or the deadline. false on timeout or when nginx exited.
  bool wait_ready(std::chrono::seconds deadline = std::chrono::seconds(10));
  int stop(std::chrono::seconds grace = std::chrono::seconds(5));  // the exit status
  bool running();

  int port() const { return options_.port; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::string config() const;  // the config file's text
  std::string log() const;     // its error log and stderr so far
  std::string version() const;

 private:
  NginxOptions options_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

}  // namespace trustgate::bench
