#include "tests/harness/ad_daemon.h"

#include "tests/harness/process_tools.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace trustgate::testing {
// Named (not anonymous) so that a benchmark may compile this file together with the other
// harness files into one translation unit without clashes.

AdDaemon::AdDaemon(AdDaemonOptions options) : options_(std::move(options)) {
  if (options_.trustgated_bin.empty()) options_.trustgated_bin = default_daemon_bin();
  if (options_.trustgatectl_bin.empty()) options_.trustgatectl_bin = default_ctl_bin();
  if (options_.trustgated_bin.empty())
    throw std::runtime_error("ad daemon harness: no trustgated binary given");
  std::string tmpl = (std::filesystem::temp_directory_path() / "tg-addaemon-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    throw std::runtime_error("ad daemon harness: cannot create a temp folder");
  dir_ = tmpl;
  port_ = free_loopback_port();
  std::filesystem::create_directories(dir_ / "secrets");
  write_config();
  start();
}

AdDaemon::~AdDaemon() {
  stop();
  std::error_code ec;
  if (!std::getenv("TRUSTGATE_KEEP_DAEMON")) std::filesystem::remove_all(dir_, ec);
}

void AdDaemon::write_config() {
  const AdDaemonOptions& o = options_;
  const std::string clients = client_sections(o.clients, dir_);
  std::string source = fmt::format(
      "[[source]]\nname = \"ad\"\ntype = \"ad\"\nurl = {}\nstart_tls = {}\nincremental = {}\n"
      "page_size = {}\ntimeout = {}\npoll_interval = {}\nreconcile_interval = {}\n",
      toml_quoted(o.url), o.start_tls, o.incremental, o.page_size, o.timeout_seconds,
      o.poll_interval_seconds, o.reconcile_interval_seconds);
  if (!o.ca_file.empty()) source += "ca_file = " + toml_quoted(o.ca_file) + "\n";
  if (!o.bind_dn.empty()) {
    const std::filesystem::path pw = dir_ / "secrets" / "bind.password";
    write_file(pw, o.bind_password + "\n", true);
    source += "bind_dn = " + toml_quoted(o.bind_dn) + "\n";
    source += "bind_password_file = " + toml_quoted(pw.string()) + "\n";
  }
  source += "\n[source.users]\nbase = " + toml_quoted(o.users_base) + "\n";
  source += "\n[source.groups]\nbase = " + toml_quoted(o.groups_base) + "\n\n";
  const std::string config =
      daemon_sections({dir_ / "trustgate.db", o.log_level, o.sync_interval_seconds, o.batch_millis,
                       o.max_grant_removals, o.max_grant_removal_share, port_}) +
      source + "\n" + o.mapping_toml + "\n" + clients;
  write_file(config_path(), config);
}

void AdDaemon::start() {
  if (pid_ > 0) return;
  pid_ = spawn_logged({options_.trustgated_bin, "--config", config_path().string()},
                      dir_ / "daemon.log");
}

bool AdDaemon::running() { return process_running(pid_); }

bool AdDaemon::wait_ready(std::chrono::seconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (running()) {
    if (get("/readyz").status == 200) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

int AdDaemon::stop(std::chrono::seconds grace) { return stop_process(pid_, grace); }

ApiReply AdDaemon::get(const std::string& target, const std::string& client_id) const {
  std::string authorization;
  if (!client_id.empty()) {
    for (const auto& c : options_.clients)
      if (c.id == client_id) authorization = "Bearer " + c.id + ":" + c.secret;
  }
  return http_call(port_, "GET", target, authorization);
}

CtlRun AdDaemon::ctl(const std::vector<std::string>& args) const {
  if (options_.trustgatectl_bin.empty())
    throw std::runtime_error("ad daemon harness: no trustgatectl binary given");
  std::vector<std::string> argv = {options_.trustgatectl_bin, "--config", config_path().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = run_to_completion(argv, dir_ / "ctl.out");
  return CtlRun{result.exit_code, std::move(result.output)};
}

std::string AdDaemon::config_text() const { return read_file(config_path()); }

std::string AdDaemon::log() const { return read_file(dir_ / "daemon.log"); }

}  // namespace trustgate::testing
