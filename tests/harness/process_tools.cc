#include "tests/harness/process_tools.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

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

int exit_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace trustgate::testing
