#pragma once
// The real trustgated binary (TRUSTGATED_BIN) for end-to-end tests: writes a config, an LDIF
// directory and client secrets into a fresh temp folder, starts the daemon on a free loopback
// port, waits for /readyz and stops it by PID (SIGTERM, then SIGKILL after a deadline).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace trustgate::testing {

struct TestClient {
  std::string id;
  std::string kind;         // "site", "school", "admin"
  std::string institution;  // school clients
  std::string secret;
};

struct DaemonOptions {
  std::string ldif;          // the directory (an LDIF source named "test")
  std::string mapping_toml;  // [[permission]], [[role]], [[institution]], [[cluster]], [[rule]]
  std::vector<TestClient> clients;
  int ttl_seconds = 30;
  std::size_t max_body_bytes = 64 * 1024;
};

class DaemonProcess {
 public:
  // Writes the files and starts the daemon. Does not wait for readiness.
  explicit DaemonProcess(DaemonOptions options);
  ~DaemonProcess();  // stops the daemon, removes the folder
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  // Polls GET /readyz until 200 or the deadline. false on timeout or when the process exited.
  bool wait_ready(std::chrono::seconds deadline = std::chrono::seconds(60));
  // SIGTERM and wait (SIGKILL after `grace`). Returns the exit status (128+signal if killed).
  int stop(std::chrono::seconds grace = std::chrono::seconds(20));
  // Starts it again on the same folder, config and port (after stop()).
  void restart();
  bool running();

  int port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path database() const { return dir_ / "trustgate.db"; }
  std::string log() const;  // the daemon's stdout+stderr so far

 private:
  void spawn();
  DaemonOptions options_;
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A loopback TCP port nothing listens on right now.
int free_loopback_port();

}  // namespace trustgate::testing
