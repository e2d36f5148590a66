#pragma once
// Small process and file helpers shared by the harnesses that run the real trustgated against
// a directory server (ldap_daemon, ad_daemon).
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

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
// A waitpid() status as an exit code (128 + signal when killed).
int exit_status(int status);

}  // namespace trustgate::testing
