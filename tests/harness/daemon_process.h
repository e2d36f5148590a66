#pragma once
// The real trustgated binary (TRUSTGATED_BIN) for end-to-end tests: writes a config, an LDIF
// directory and client secrets into a fresh temp folder, starts the daemon on a free loopback
// port, waits for /readyz and stops it by PID (SIGTERM, then SIGKILL after a deadline).
// Also runs trustgatectl against the same config (when the build defines TRUSTGATECTL_BIN) and
// makes plain HTTP requests. Needs no GoogleTest (benchmarks compile it in).
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
  std::string certificate_name = {};  // written as certificate_name when not empty
};

struct DaemonOptions {
  std::string ldif;          // the directory (an LDIF source named "test")
  std::string mapping_toml;  // [[permission]], [[role]], [[institution]], [[cluster]], [[rule]]
  std::vector<TestClient> clients;
  int ttl_seconds = 30;
  std::size_t max_body_bytes = 64 * 1024;
  std::string log_level = "info";
  std::string source_toml;  // more keys / sub-tables of the source, e.g. "[source.users]\n..."
  std::string http_toml;    // more [http] keys: threads, max_connections, tls_cert ...
  std::string extra_toml;   // more top-level tables, e.g. "[safety]\n..." (appended last)
};

// One HTTP exchange. status -1: no answer (refused, reset, timeout).
struct ApiReply {
  int status = -1;
  std::string content_type;
  std::string body;
};

// One request on a fresh plain-HTTP connection to 127.0.0.1:port. `authorization` is the whole
// header value ("" for none); a body is sent (with `content_type`) for POST/PUT/PATCH/DELETE
// when non-empty or for POST always. Never throws.
ApiReply http_call(int port, const std::string& method, const std::string& target,
                   const std::string& authorization = "", const std::string& body = "",
                   const std::string& content_type = "application/json");

struct CtlRun {
  int exit_code = -1;
  std::string output;  // stdout + stderr
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
  // Polls until the port accepts TCP connections (for TLS listeners /readyz can't be polled
  // in plain HTTP). false on timeout or when the process exited.
  bool wait_listening(std::chrono::seconds deadline = std::chrono::seconds(60));

  // Replaces the directory file; the daemon sees it at its next sync (or `ctl sync --once`).
  void write_ldif(const std::string& ldif);
  // Runs `trustgatectl --config <config> ARGS...` to completion. Throws std::runtime_error
  // when the build gives no trustgatectl binary.
  CtlRun ctl(const std::vector<std::string>& args) const;
  // GET /readyz's revision; -1 when not ready or not answering.
  long long served_revision() const;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }  // -1 when not running
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path database() const { return dir_ / "trustgate.db"; }
  std::filesystem::path handoff_database() const { return dir_ / "trustgate-handoffs.db"; }
  std::filesystem::path config_path() const { return dir_ / "trustgate.toml"; }
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
