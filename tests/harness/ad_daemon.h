#pragma once
// The real trustgated binary syncing from an Active Directory domain controller (e.g. a
// SambaDc), for integration tests and benchmarks: writes a config with one [[source]] of type
// "ad" (named "ad"), the bind password and API client secrets into a fresh temp folder, starts
// the daemon on a free loopback port and stops it by PID (SIGTERM, then SIGKILL after a grace
// period). Also runs trustgatectl against the same config and makes authenticated HTTP GETs.
// Needs no GoogleTest (benchmarks compile it in).
//
// Failures of the harness itself (cannot write a file, cannot fork) throw std::runtime_error.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/harness/daemon_process.h"

namespace trustgate::testing {

struct AdDaemonOptions {
  // The [[source]] (named "ad", type "ad").
  std::string url;  // ldap:// or ldaps://
  bool start_tls = false;
  std::string ca_file;        // empty: system default
  std::string bind_dn;        // a DN or a UPN
  std::string bind_password;  // written to a secret file
  std::string users_base;
  std::string groups_base;
  int page_size = 500;
  int timeout_seconds = 10;
  bool incremental = true;
  int poll_interval_seconds = 1;
  int reconcile_interval_seconds = 3600;

  // [daemon] and [safety]
  int sync_interval_seconds = 3600;
  int batch_millis = 50;
  std::size_t max_grant_removals = 1'000'000;
  double max_grant_removal_share = 1.0;  // tests remove grants on purpose
  std::string log_level = "info";

  std::string mapping_toml;  // [[role]], [[institution]], [[cluster]], [[rule]] ...
  std::vector<TestClient> clients;
  // The binaries; empty: TRUSTGATED_BIN / TRUSTGATECTL_BIN when the build defines them.
  std::string trustgated_bin;
  std::string trustgatectl_bin;
};

class AdDaemon {
 public:
  // Writes the files and starts the daemon. Does not wait for readiness.
  explicit AdDaemon(AdDaemonOptions options);
  ~AdDaemon();  // stops the daemon, removes the folder
  AdDaemon(const AdDaemon&) = delete;
  AdDaemon& operator=(const AdDaemon&) = delete;

  // Polls GET /readyz until 200 or the deadline; false on timeout or when the process exited.
  bool wait_ready(std::chrono::seconds deadline = std::chrono::seconds(120));
  // SIGTERM and wait (SIGKILL after `grace`). Returns the exit status (128+signal if killed).
  int stop(std::chrono::seconds grace = std::chrono::seconds(20));
  bool running();

  // GET `target` as `client_id` (one of the options' clients; "Bearer id:secret"); an empty id
  // sends no credentials.
  ApiReply get(const std::string& target, const std::string& client_id = "") const;
  // Runs trustgatectl --config <our config> ARGS to completion (stdout + stderr in output).
  CtlRun ctl(const std::vector<std::string>& args) const;

  int port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path config_path() const { return dir_ / "trustgate.toml"; }
  std::string config_text() const;
  std::string log() const;  // the daemon's stdout+stderr so far

 private:
  void write_config();
  void start();
  AdDaemonOptions options_;
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace trustgate::testing
