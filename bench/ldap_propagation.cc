// Benchmark: how fast a directory change reaches the API. The synthetic directory (default 10k
// users; 100k with an argument) is loaded into a private slapd; the real trustgated syncs it
// incrementally (syncrepl, batch_millis 50). Then, N times, one user is removed from the
// granting group (MIS-Users) with `ldapmodify`, and GET /v1/explain for that user is polled
// every ~5 ms until it says "not allowed". Prints p50 / p99 / max, measured both from the start
// of `ldapmodify` and from its exit (the change is committed by then).
//
// Usage: bench_ldap_propagation [USERS] [CHANGES] [--log]   (--log: print the daemon's info log)
// The daemon binary is found next to this one (../daemon/trustgated) unless $TRUSTGATED names it.
//
// The bench targets do not link the test harness library (it pulls in GoogleTest), so the
// harness files this needs, which need no GoogleTest, are compiled in here.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace {
std::string g_trustgated;  // the daemon binary, set in main before any use
}
#define TRUSTGATED_BIN g_trustgated
#include "tests/harness/daemon_process.cc"  // NOLINT
#include "tests/harness/ldap_daemon.cc"     // NOLINT
#include "tests/harness/process_tools.cc"   // NOLINT: see the header comment
#include "tests/harness/slapd.cc"           // NOLINT

#include "bench/lib/mapping_toml.h"
#include "bench/lib/synthetic_directory.h"

using namespace trustgate;
using namespace trustgate::bench;
using trustgate::testing::LdapDaemon;
using trustgate::testing::LdapDaemonOptions;
namespace fs = std::filesystem;

namespace {

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

std::string daemon_binary() {
  if (const char* env = std::getenv("TRUSTGATED"); env && *env) return env;
  return (fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "daemon" / "trustgated")
      .string();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t i =
      std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

// A "Name:   N kB" line of /proc/PID/status, in KiB (0 when unreadable).
std::size_t status_kib(pid_t pid, std::string_view name) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(name)) return std::stoul(line.substr(name.size()));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  SyntheticShape shape;
  shape.users = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10'000;
  const int changes = argc > 2 ? std::atoi(argv[2]) : 60;
  const bool show_log = argc > 3 && std::string(argv[3]) == "--log";
  g_trustgated = daemon_binary();
  if (::access(g_trustgated.c_str(), X_OK) != 0) {
    fmt::print(stderr, "no trustgated at {} (set $TRUSTGATED)\n", g_trustgated);
    return 1;
  }

  SyntheticDirectory synthetic = make_synthetic_directory(shape);
  SlapdOptions slapd_options;
  {
    std::ostringstream out;
    write_ldif(out, synthetic, shape);
    slapd_options.ldif = std::move(out).str();
  }
  fmt::print("directory: {} users, {} groups, MIS-Users has {} direct members\n",
             synthetic.snapshot.users.size(), synthetic.snapshot.groups.size(),
             std::min(shape.big_group_members, shape.users));
  SlapdServer slapd(slapd_options);
  slapd_options.ldif.clear();
  slapd_options.ldif.shrink_to_fit();

  LdapDaemonOptions o;
  o.url = slapd.ldap_url();
  o.bind_dn = SlapdServer::kRootDn;
  o.bind_password = SlapdServer::kRootPassword;
  o.users_base = "ou=people,dc=la,dc=example";
  o.groups_base = "ou=groups,dc=la,dc=example";
  o.page_size = 1000;
  o.timeout_seconds = 120;
  o.batch_millis = 50;
  o.log_level = show_log ? "info" : "warn";
  o.max_grant_removals = 1'000'000;
  o.mapping_toml = mapping_toml(synthetic.mapping);
  o.clients = {{"bench-site", "site", "", "bench-site-secret-0123456789abcdef"}};
  const auto t_start = std::chrono::steady_clock::now();
  LdapDaemon daemon(o);
  if (!daemon.wait_ready(std::chrono::seconds(600))) {
    fmt::print(stderr, "trustgated did not become ready:\n{}\n", daemon.log());
    return 1;
  }
  fmt::print("trustgated: first full sync done and serving after {:.2f} s\n",
             ms_since(t_start) / 1000.0);

  auto allowed = [&](const std::string& user, const std::string& inst) -> std::optional<bool> {
    auto r =
        daemon.get(fmt::format("/v1/explain?user={}&institution={}", user, inst), "bench-site");
    if (r.status != 200) return std::nullopt;
    if (r.body.find("\"allowed\":true") != std::string::npos) return true;
    if (r.body.find("\"allowed\":false") != std::string::npos) return false;
    return std::nullopt;
  };

  const std::string group = "cn=MIS-Users,ou=groups,dc=la,dc=example";
  std::vector<double> from_start, from_commit, tool;
  int timeouts = 0;
  const std::size_t direct = std::min(shape.big_group_members, shape.users);
  for (std::size_t i = 1; static_cast<int>(from_start.size() + timeouts) < changes && i < direct;
       i += 7) {
    const auto& user = synthetic.snapshot.users[i];
    if (!user.enabled) continue;
    const std::string inst = std::to_string(100000 + i % shape.schools);
    if (allowed(user.username, inst) != true) continue;  // e.g. no association: not a probe
    const auto t0 = std::chrono::steady_clock::now();
    slapd.modify(
        fmt::format("dn: {}\nchangetype: modify\ndelete: member\nmember: {}\n-\n", group, user.dn));
    const double tool_ms = ms_since(t0);
    const auto t1 = std::chrono::steady_clock::now();
    bool seen = false;
    while (ms_since(t0) < 30'000) {
      if (allowed(user.username, inst) == false) {
        seen = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!seen) {
      ++timeouts;
      continue;
    }
    from_start.push_back(ms_since(t0));
    from_commit.push_back(ms_since(t1));
    tool.push_back(tool_ms);
  }
  fmt::print(
      "propagation over {} removals ({} not seen within 30 s):\n"
      "  from ldapmodify start: p50 {:.0f} ms, p99 {:.0f} ms, max {:.0f} ms\n"
      "  from ldapmodify exit:  p50 {:.0f} ms, p99 {:.0f} ms, max {:.0f} ms\n"
      "  (ldapmodify itself: p50 {:.0f} ms; poll interval 5 ms; batch_millis {})\n",
      from_start.size(), timeouts, percentile(from_start, 0.5), percentile(from_start, 0.99),
      percentile(from_start, 1.0), percentile(from_commit, 0.5), percentile(from_commit, 0.99),
      percentile(from_commit, 1.0), percentile(tool, 0.5), o.batch_millis);
  fmt::print("trustgated: peak RSS (VmHWM) {:.1f} MiB, resident now {:.1f} MiB\n",
             status_kib(daemon.pid(), "VmHWM:") / 1024.0,
             status_kib(daemon.pid(), "VmRSS:") / 1024.0);
  if (show_log) fmt::print("--- trustgated log ---\n{}", daemon.log());
  return timeouts == 0 ? 0 : 1;
}
