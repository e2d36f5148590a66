#pragma once
// The real trustgated binary syncing from an LDAP directory (e.g. a SlapdServer), for
// integration tests and benchmarks: writes a config with one [[source]] of type "ldap", the
// bind password and API client secrets into a fresh temp folder, starts the daemon on a free
// loopback port and stops it by PID (SIGTERM, then SIGKILL after a grace period). Also runs
// trustgatectl against the same config, and makes authenticated HTTP GETs.
//
// Failures of the harness itself (cannot write a file, cannot fork) throw std::runtime_error.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tests/harness/daemon_process.h"

namespace trustgate::testing {

struct LdapDaemonOptions {
  // The [[source]] (named "openldap").
  std::string url;  // ldap://, ldaps://
  bool start_tls = false;
  std::string ca_file;  // empty: system default
  std::string bind_dn;
  std::string bind_password;  // written to a secret file
  std::string users_base;
  std::string groups_base;
  std::string users_filter;  // empty: the default
  std::string disabled_attr = "employeeType";
  bool incremental = true;
  int page_size = 500;
  int timeout_seconds = 5;

  // [daemon] and [safety]
  int batch_millis = 50;
  int sync_interval_seconds = 3600;
  std::size_t max_grant_removals = 500;
  double max_grant_removal_share = 1.0;  // tiny test directories: off unless a test sets it
  std::string log_level = "info";

  std::string mapping_toml;  // [[role]], [[institution]], [[cluster]], [[rule]] ...
  std::vector<TestClient> clients;
  // The daemon binary; empty: TRUSTGATED_BIN when the build defines it.
  std::string trustgated_bin;
  std::string trustgatectl_bin;  // likewise TRUSTGATECTL_BIN
};

struct HttpReply {
  int status = -1;  // -1: no answer (connection refused, timeout)
  std::string body;
};

struct ToolRun {
  int exit_code = -1;
  std::string output;  // stdout + stderr
};

class LdapDaemon {
 public:
  // Writes the files and starts the daemon. Does not wait for readiness.
  explicit LdapDaemon(LdapDaemonOptions options);
  ~LdapDaemon();  // stops the daemon, removes the folder
  LdapDaemon(const LdapDaemon&) = delete;
  LdapDaemon& operator=(const LdapDaemon&) = delete;

  // Polls GET /readyz until 200 or the deadline; false on timeout or when the process exited.
  bool wait_ready(std::chrono::seconds deadline = std::chrono::seconds(60));
  // SIGTERM and wait (SIGKILL after `grace`). Returns the exit status (128+signal if killed).
  int stop(std::chrono::seconds grace = std::chrono::seconds(20));
  // Starts it again on the same folder, database and port (after stop()).
  void start();
  bool running();

  // Rewrites the config file from `options` (same folder, database and port); the running
  // daemon sees it after reload() (SIGHUP) or the next start().
  void rewrite_config(const LdapDaemonOptions& options);
  void reload();

  // GET `target` with HTTP Basic credentials of `client_id` (one of the options' clients);
  // an empty id sends no credentials.
  HttpReply get(const std::string& target, const std::string& client_id = "") const;
  // Runs trustgatectl --config <our config> ARGS, waiting for it to exit.
  ToolRun ctl(const std::vector<std::string>& args) const;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }  // -1 when stopped
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path config_path() const { return dir_ / "trustgate.toml"; }
  std::string log() const;  // the daemon's stdout+stderr so far (all runs)

 private:
  void write_config();
  LdapDaemonOptions options_;
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Calls `done` every `every` until it returns true or `deadline` passes; returns its last
// answer. For waiting on asynchronous effects without ever failing on timing alone.
bool poll_until(const std::function<bool()>& done,
                std::chrono::milliseconds deadline = std::chrono::seconds(30),
                std::chrono::milliseconds every = std::chrono::milliseconds(50));

}  // namespace trustgate::testing
