#include "tests/harness/process_tools.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace trustgate::testing {
namespace fs = std::filesystem;

std::string toml_quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

void write_file(const fs::path& p, const std::string& content, bool secret) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) throw std::runtime_error("harness: cannot write " + p.string());
  if (secret) fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string default_daemon_bin() {
#ifdef TRUSTGATED_BIN
  return TRUSTGATED_BIN;
#else
  return "";
#endif
}

std::string default_ctl_bin() {
#ifdef TRUSTGATECTL_BIN
  return TRUSTGATECTL_BIN;
#else
  return "";
#endif
}

// fork + exec `argv` with stdout and stderr appended to `log`, stdin from /dev/null and no
// systemd / LDAP client settings leaking in from the test runner.
pid_t spawn_logged(const std::vector<std::string>& argv, const fs::path& log) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("harness: fork failed");
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    for (const char* v : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "CREDENTIALS_DIRECTORY",
                          "TRUSTGATE_CONFIG", "JOURNAL_STREAM", "LDAPCONF", "LDAPRC"})
      ::unsetenv(v);
    ::setenv("LDAPNOINIT", "1", 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

bool process_running(pid_t& pid) {
  if (pid <= 0) return false;
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == pid) {
    pid = -1;
    return false;
  }
  return true;
}

ProcessResult run_to_completion(const std::vector<std::string>& argv,
                                const std::filesystem::path& out) {
  std::filesystem::remove(out);
  const pid_t pid = spawn_logged(argv, out);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return ProcessResult{exit_status(status), read_file(out)};
}

std::string client_sections(const std::vector<TestClient>& clients,
                            const std::filesystem::path& dir) {
  std::string out;
  for (const auto& c : clients) {
    const std::filesystem::path secret = dir / "secrets" / (c.id + ".secret");
    write_file(secret, c.secret + "\n", true);
    out += fmt::format("[[client]]\nid = {}\nkind = {}\n", toml_quoted(c.id), toml_quoted(c.kind));
    if (!c.institution.empty()) out += "institution = " + toml_quoted(c.institution) + "\n";
    out += "secret_file = " + toml_quoted(secret.string()) + "\n\n";
  }
  return out;
}

std::string daemon_sections(const DaemonSections& d) {
  return fmt::format(
      "[daemon]\ndatabase = {}\nlog_level = {}\nsync_interval = {}\nbatch_millis = {}\n\n"
      "[safety]\nmax_grant_removals = {}\nmax_grant_removal_share = {:.3f}\n\n"
      "[http]\nlisten = \"127.0.0.1:{}\"\n\n",
      toml_quoted(d.database.string()), toml_quoted(d.log_level), d.sync_interval_seconds,
      d.batch_millis, d.max_grant_removals, d.max_grant_removal_share, d.port);
}

}  // namespace trustgate::testing
