#include "tests/harness/ldap_daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace trustgate::testing {
namespace fs = std::filesystem;

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

void write_file(const fs::path& p, const std::string& content, bool secret = false) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) throw std::runtime_error("ldap daemon harness: cannot write " + p.string());
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

// fork + exec `argv` with stdout and stderr appended to `log`; the environment of a plain
// shell (no systemd or trustgate variables leaking in from the test runner).
pid_t spawn(const std::vector<std::string>& argv, const fs::path& log) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("ldap daemon harness: fork failed");
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

}  // namespace

bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds deadline,
                std::chrono::milliseconds every) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(every);
  }
}

LdapDaemon::LdapDaemon(LdapDaemonOptions options) : options_(std::move(options)) {
  if (options_.trustgated_bin.empty()) options_.trustgated_bin = default_daemon_bin();
  if (options_.trustgatectl_bin.empty()) options_.trustgatectl_bin = default_ctl_bin();
  if (options_.trustgated_bin.empty())
    throw std::runtime_error("ldap daemon harness: no trustgated binary given");
  std::string tmpl = (fs::temp_directory_path() / "tg-ldapd-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    throw std::runtime_error("ldap daemon harness: cannot create a temp folder");
  dir_ = tmpl;
  port_ = free_loopback_port();
  fs::create_directories(dir_ / "secrets");
  write_config();
  start();
}

LdapDaemon::~LdapDaemon() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void LdapDaemon::rewrite_config(const LdapDaemonOptions& options) {
  const std::string daemon_bin = options_.trustgated_bin;
  const std::string ctl_bin = options_.trustgatectl_bin;
  options_ = options;
  if (options_.trustgated_bin.empty()) options_.trustgated_bin = daemon_bin;
  if (options_.trustgatectl_bin.empty()) options_.trustgatectl_bin = ctl_bin;
  write_config();
}

void LdapDaemon::write_config() {
  const LdapDaemonOptions& o = options_;
  std::string clients;
  for (const auto& c : o.clients) {
    const fs::path secret = dir_ / "secrets" / (c.id + ".secret");
    write_file(secret, c.secret + "\n", true);
    clients += fmt::format("[[client]]\nid = {}\nkind = {}\n", quoted(c.id), quoted(c.kind));
    if (!c.institution.empty()) clients += "institution = " + quoted(c.institution) + "\n";
    clients += "secret_file = " + quoted(secret.string()) + "\n\n";
  }
  std::string source = fmt::format(
      "[[source]]\nname = \"openldap\"\ntype = \"ldap\"\nurl = {}\nstart_tls = {}\n"
      "incremental = {}\npage_size = {}\ntimeout = {}\n",
      quoted(o.url), o.start_tls, o.incremental, o.page_size, o.timeout_seconds);
  if (!o.ca_file.empty()) source += "ca_file = " + quoted(o.ca_file) + "\n";
  if (!o.bind_dn.empty()) {
    const fs::path pw = dir_ / "secrets" / "bind.password";
    write_file(pw, o.bind_password + "\n", true);
    source += "bind_dn = " + quoted(o.bind_dn) + "\n";
    source += "bind_password_file = " + quoted(pw.string()) + "\n";
  }
  source += "\n[source.users]\nbase = " + quoted(o.users_base) + "\n";
  if (!o.users_filter.empty()) source += "filter = " + quoted(o.users_filter) + "\n";
  if (!o.disabled_attr.empty()) {
    source += "disabled_attr = " + quoted(o.disabled_attr) + "\n";
    source += "disabled_values = [\"disabled\"]\n";
  }
  source += "\n[source.groups]\nbase = " + quoted(o.groups_base) + "\n\n";
  const std::string config = fmt::format(
      "[daemon]\ndatabase = {}\nlog_level = {}\nsync_interval = {}\nbatch_millis = {}\n\n"
      "[safety]\nmax_grant_removals = {}\nmax_grant_removal_share = {:.3f}\n\n"
      "[http]\nlisten = \"127.0.0.1:{}\"\n\n{}\n{}\n{}",
      quoted((dir_ / "trustgate.db").string()), quoted(o.log_level), o.sync_interval_seconds,
      o.batch_millis, o.max_grant_removals, o.max_grant_removal_share, port_, source,
      o.mapping_toml, clients);
  write_file(config_path(), config);
}

void LdapDaemon::start() {
  if (pid_ > 0) return;
  pid_ = spawn({options_.trustgated_bin, "--config", config_path().string()}, dir_ / "daemon.log");
}

bool LdapDaemon::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void LdapDaemon::reload() {
  if (pid_ > 0) ::kill(pid_, SIGHUP);
}

bool LdapDaemon::wait_ready(std::chrono::seconds deadline) {
  return poll_until(
             [&] {
               if (!running()) return true;  // ends the wait; answered below
               return get("/readyz").status == 200;
             },
             deadline, std::chrono::milliseconds(100)) &&
         running() && get("/readyz").status == 200;
}

int LdapDaemon::stop(std::chrono::seconds grace) {
  if (pid_ <= 0) return 0;
  ::kill(pid_, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + grace;
  int status = 0;
  for (;;) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) break;
    if (std::chrono::steady_clock::now() > until) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

HttpReply LdapDaemon::get(const std::string& target, const std::string& client_id) const {
  HttpReply reply;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_));
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, target,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    if (!client_id.empty()) {
      for (const auto& c : options_.clients) {
        if (c.id == client_id) Poco::Net::HTTPBasicCredentials(c.id, c.secret).authenticate(req);
      }
    }
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    reply.status = resp.getStatus();
    Poco::StreamCopier::copyToString(in, reply.body);
  } catch (...) {
    reply.status = -1;  // not listening, reset, timeout: the caller polls again
  }
  return reply;
}

ToolRun LdapDaemon::ctl(const std::vector<std::string>& args) const {
  if (options_.trustgatectl_bin.empty())
    throw std::runtime_error("ldap daemon harness: no trustgatectl binary given");
  std::vector<std::string> argv = {options_.trustgatectl_bin, "--config", config_path().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const fs::path out = dir_ / "ctl.out";
  fs::remove(out);
  const pid_t pid = spawn(argv, out);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ToolRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.output = read_file(out);
  return run;
}

std::string LdapDaemon::log() const { return read_file(dir_ / "daemon.log"); }

}  // namespace trustgate::testing
