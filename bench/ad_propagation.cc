// Benchmark: how fast an Active Directory change reaches the API. A private Samba AD DC gets
// USERS users and 20 groups (ldapadd) plus one granting group holding the first CHANGES users;
// the real trustgated syncs it with the AD source (uSNChanged polling, poll_interval 1 s,
// batch_millis 50). Then CHANGES times, one user is removed from the granting group with
// `ldapmodify`, and GET /v1/explain for that user is polled every ~5 ms until it is denied.
// Prints p50 / p99 / max, measured both from the start of `ldapmodify` and from its exit (the
// change is committed by then). Expect it to be dominated by the poll interval. Each change
// waits a random 0..1 s first: otherwise every change lands just after the poll that showed
// the previous one, and every figure would be a whole interval.
//
// Usage: bench_ad_propagation [CHANGES (25)] [USERS (1000)]
// Needs root and Samba. The daemon binary is found next to this one (../daemon/trustgated)
// unless $TRUSTGATED names it. Prints figures; asserts nothing.
//
// The bench targets do not link the test harness library (it pulls in GoogleTest), so the
// harness files this needs, which need no GoogleTest, are compiled in here.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

namespace {
std::string g_trustgated;  // the daemon binary, set in main before any use
}
#define TRUSTGATED_BIN g_trustgated
#include "tests/harness/ad_daemon.cc"       // NOLINT: see the header comment
#include "tests/harness/daemon_process.cc"  // NOLINT
#include "tests/harness/process_tools.cc"  // NOLINT
#include "tests/harness/samba_dc.cc"        // NOLINT

using namespace trustgate;
using trustgate::testing::AdDaemon;
using trustgate::testing::AdDaemonOptions;
namespace fs = std::filesystem;

namespace {

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

// The decision for `user` at 100001: allowed, denied, or no answer / not synced yet.
enum class Answer { Allowed, Denied, Unknown };

Answer decision(const AdDaemon& daemon, const std::string& user) {
  const auto r = daemon.get("/v1/explain?user=" + user + "&institution=100001", "site");
  if (r.status != 200) return Answer::Unknown;
  try {
    auto o = Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
    auto d = o->getObject("decision");
    if (d->getValue<std::string>("reason") == "unknown_user") return Answer::Unknown;
    return d->getValue<bool>("allowed") ? Answer::Allowed : Answer::Denied;
  } catch (...) {
    return Answer::Unknown;
  }
}

bool wait_for(const AdDaemon& daemon, const std::string& user, Answer want,
              std::chrono::seconds deadline, std::chrono::milliseconds every) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (decision(daemon, user) != want) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(every);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const int changes = argc > 1 ? std::atoi(argv[1]) : 25;
  const std::size_t users = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1000;
  if (const char* bin = std::getenv("TRUSTGATED")) {
    g_trustgated = bin;
  } else {
    g_trustgated =
        (fs::canonical("/proc/self/exe").parent_path().parent_path() / "daemon" / "trustgated")
            .string();
  }
  if (!fs::exists(g_trustgated)) {
    fmt::print(stderr, "no daemon binary at {} (set $TRUSTGATED)\n", g_trustgated);
    return 1;
  }
  if (changes < 1 || static_cast<std::size_t>(changes) > users) {
    fmt::print(stderr, "CHANGES must be 1..USERS\n");
    return 1;
  }

  const AdPopulation p{"BenchProp", "bp", users, 20, 50};
  SambaDc dc;
  const auto loaded = dc.load(p);
  const std::string granting = "CN=bp-granting," + p.groups_dn();
  std::string group = "dn: " + granting + "\nobjectClass: group\nsAMAccountName: bp-granting\n";
  for (int i = 0; i < changes; ++i) group += "member: " + p.user_dn(i) + "\n";
  dc.add(group);
  fmt::print("samba AD DC on {}: {} users + {} groups loaded in {:.1f} s\n", dc.address(), users,
             p.groups + 1, loaded.count() / 1000.0);

  AdDaemonOptions o;
  o.trustgated_bin = g_trustgated;
  o.url = dc.ldap_url();
  o.bind_dn = SambaDc::kAdminDn;
  o.bind_password = SambaDc::kAdminPassword;
  o.users_base = p.ou_dn();
  o.groups_base = p.ou_dn();
  o.poll_interval_seconds = 1;
  o.batch_millis = 50;
  o.log_level = "warn";
  o.mapping_toml = fmt::format(R"(
[[role]]
id = "mat-staff"
permissions = ["mis.login.associated_institutions"]

[[institution]]
id = "100001"
name = "Alder Primary"

[[rule]]
id = "granting"
group_dn = "{}"
roles = ["mat-staff"]
institutions = ["100001"]
)",
                               granting);
  o.clients = {{"site", "site", "", "ad-propagation-site-secret-0123"}};
  AdDaemon daemon(o);
  const auto t_start = std::chrono::steady_clock::now();
  if (!daemon.wait_ready(std::chrono::seconds(120)) ||
      !wait_for(daemon, p.user_name(changes - 1), Answer::Allowed, std::chrono::seconds(120),
                std::chrono::milliseconds(50))) {
    fmt::print(stderr, "the daemon did not sync:\n{}\n", daemon.log());
    return 1;
  }
  fmt::print("trustgated: first full sync served after {:.2f} s\n", ms_since(t_start) / 1000.0);

  std::vector<double> from_start, from_commit;
  std::mt19937 rng(20240605);  // fixed: the same phases each run
  std::uniform_int_distribution<int> jitter_ms(0, 999);
  for (int i = 0; i < changes; ++i) {
    const std::string user = p.user_name(i);
    std::this_thread::sleep_for(std::chrono::milliseconds(jitter_ms(rng)));
    const auto t0 = std::chrono::steady_clock::now();
    dc.modify("dn: " + granting + "\nchangetype: modify\ndelete: member\nmember: " + p.user_dn(i) +
              "\n");
    const auto t1 = std::chrono::steady_clock::now();
    if (!wait_for(daemon, user, Answer::Denied, std::chrono::seconds(60),
                  std::chrono::milliseconds(5))) {
      fmt::print(stderr, "change {} never reached the API:\n{}\n", i + 1, daemon.log());
      return 1;
    }
    from_start.push_back(ms_since(t0));
    from_commit.push_back(ms_since(t1));
    fmt::print(
        "change {:2}: denied {:.0f} ms after ldapmodify started ({:.0f} ms after it "
        "exited)\n",
        i + 1, from_start.back(), from_commit.back());
  }
  fmt::print(
      "{} changes, poll_interval 1 s: from ldapmodify start p50 {:.0f} ms, p99 {:.0f} ms, max "
      "{:.0f} ms; from its exit p50 {:.0f} ms, p99 {:.0f} ms, max {:.0f} ms\n",
      changes, percentile(from_start, 0.5), percentile(from_start, 0.99),
      *std::max_element(from_start.begin(), from_start.end()), percentile(from_commit, 0.5),
      percentile(from_commit, 0.99), *std::max_element(from_commit.begin(), from_commit.end()));
  return 0;
}
