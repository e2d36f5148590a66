#pragma once
// Small process and file helpers shared by the harnesses that run the real trustgated against
// a directory server (ldap_daemon, ad_daemon).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/harness/daemon_process.h"
#include "tests/harness/process_stop.h"  // exit_status, stop_process

namespace trustgate::testing {

// A TOML basic string: "..." with '"' and '\' escaped.
std::string toml_quoted(const std::string& s);
// Writes `content` (0600 when `secret`); throws std::runtime_error on failure.
void write_file(const std::filesystem::path& p, const std::string& content, bool secret = false);
std::string read_file(const std::filesystem::path& p);
// The binaries under test (TRUSTGATED_BIN / TRUSTGATECTL_BIN when built with them, else "").
std::string default_daemon_bin();
std::string default_ctl_bin();
// fork + exec `argv` with stdout and stderr appended to `log`, stdin from /dev/null, and no
// systemd, trustgate or LDAP client settings leaking in from the test runner.
pid_t spawn_logged(const std::vector<std::string>& argv, const std::filesystem::path& log);

// True while `pid` runs; reaps it and sets it to -1 once it has exited.
bool process_running(pid_t& pid);
// Runs `argv` to completion with stdout and stderr in `out` (replaced).
struct ProcessResult {
  int exit_code = -1;
  std::string output;
};
ProcessResult run_to_completion(const std::vector<std::string>& argv,
                                const std::filesystem::path& out);

// trustgate config text shared by the daemon harnesses: the [[client]] sections (each secret
// written to <dir>/secrets/<id>.secret), and the [daemon], [safety] and [http] sections.
std::string client_sections(const std::vector<TestClient>& clients,
                            const std::filesystem::path& dir);
struct DaemonSections {
  std::filesystem::path database;
  std::string log_level;
  int sync_interval_seconds = 0;
  int batch_millis = 0;
  std::size_t max_grant_removals = 0;
  double max_grant_removal_share = 0;
  int port = 0;
};
std::string daemon_sections(const DaemonSections& d);

}  // namespace trustgate::testing
