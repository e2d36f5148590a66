#include "tests/harness/ldap_daemon.h"

#include "tests/harness/process_tools.h"

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
  const std::string clients = client_sections(o.clients, dir_);
  std::string source = fmt::format(
      "[[source]]\nname = \"openldap\"\ntype = \"ldap\"\nurl = {}\nstart_tls = {}\n"
      "incremental = {}\npage_size = {}\ntimeout = {}\n",
      toml_quoted(o.url), o.start_tls, o.incremental, o.page_size, o.timeout_seconds);
  if (!o.ca_file.empty()) source += "ca_file = " + toml_quoted(o.ca_file) + "\n";
  if (!o.bind_dn.empty()) {
    const fs::path pw = dir_ / "secrets" / "bind.password";
    write_file(pw, o.bind_password + "\n", true);
    source += "bind_dn = " + toml_quoted(o.bind_dn) + "\n";
    source += "bind_password_file = " + toml_quoted(pw.string()) + "\n";
  }
  source += "\n[source.users]\nbase = " + toml_quoted(o.users_base) + "\n";
  if (!o.users_filter.empty()) source += "filter = " + toml_quoted(o.users_filter) + "\n";
  if (!o.disabled_attr.empty()) {
    source += "disabled_attr = " + toml_quoted(o.disabled_attr) + "\n";
    source += "disabled_values = [\"disabled\"]\n";
  }
  source += "\n[source.groups]\nbase = " + toml_quoted(o.groups_base) + "\n\n";
  const std::string config =
      daemon_sections({dir_ / "trustgate.db", o.log_level, o.sync_interval_seconds, o.batch_millis,
                       o.max_grant_removals, o.max_grant_removal_share, port_}) +
      source + "\n" + o.mapping_toml + "\n" + clients;
  write_file(config_path(), config);
}

void LdapDaemon::start() {
  if (pid_ > 0) return;
  pid_ = spawn_logged({options_.trustgated_bin, "--config", config_path().string()},
                      dir_ / "daemon.log");
}

bool LdapDaemon::running() { return process_running(pid_); }

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

int LdapDaemon::stop(std::chrono::seconds grace) { return stop_process(pid_, grace); }

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
  auto result = run_to_completion(argv, dir_ / "ctl.out");
  return ToolRun{result.exit_code, std::move(result.output)};
}

std::string LdapDaemon::log() const { return read_file(dir_ / "daemon.log"); }

}  // namespace trustgate::testing
