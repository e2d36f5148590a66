// Benchmark: a full Active Directory sync from a private Samba AD DC against the floor of a
// plain paged `ldapsearch` dump of the same entries, measured in the same run.
//
//   load:       ldapadd of USERS users + 100 groups (each user in two groups) into the DC
//   dump:       ldapsearch -x -E pr=1000/noprompt over the population's OU, users and groups,
//               asking for the attributes the source reads, `member` by name (Samba returns
//               every value without ranges; real AD would cut at 1,500) > /dev/null
//   full sync:  AdSource snapshot (incremental = false, page size 1000, members through
//               explicit ranges) + map + apply to a fresh store, in a fresh child process (this
//               binary with --sync-child) so that its peak RSS (VmHWM) is that of the sync alone
//
// Usage: bench_ad_sync [USERS (5000)] [ROUNDS (3)]
// Needs root and Samba (tests/harness/samba_dc.h). Prints figures; asserts nothing.
//
// The bench targets do not link the test harness library (it pulls in GoogleTest), so the
// Samba fixture, which needs no GoogleTest, is compiled in here.
#include <fcntl.h>
#include <fmt/format.h>
#include <malloc.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "bench/lib/measure.h"
#include "common/clock.h"
#include "connectors/ldap/ad_source.h"
#include "daemon/store/store.h"
#include "mapping/mapper.h"
#include "tests/harness/samba_dc.cc"  // NOLINT: see the header comment

using namespace trustgate;
using namespace trustgate::bench;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kGroups = 100;
constexpr std::size_t kMembersPerGroup = 100;  // with 5,000 users: each user in two groups

AdPopulation population(std::size_t users) {
  return AdPopulation{"BenchSync", "bs", users, kGroups, kMembersPerGroup};
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Timed {
  int exit_code = 127;
  double seconds = 0;
  long peak_kib = 0;  // the child's max RSS
};

// Runs argv with stdout to `out_path` and stderr to /dev/null.
Timed run_timed(const std::vector<std::string>& argv, const std::string& out_path = "/dev/null") {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = -1;
  Timed t;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return t;
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  t.seconds = seconds_since(start);
  t.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  t.peak_kib = usage.ru_maxrss;
  return t;
}

// Every group -> the login role and its school: CN=bsg000012 -> institution 000012.
MappingConfig mapping_for(const AdPopulation& p) {
  MappingConfig m;
  m.roles = {{"staff", "Staff", {std::string(kLoginPermission)}}};
  for (std::size_t j = 0; j < p.groups; ++j) {
    const std::string id = fmt::format("{:06}", j);
    m.institutions.push_back({id, "School " + id, "https://" + id + ".example/mis/"});
  }
  MappingRule rule;
  rule.id = "schools";
  rule.group = {GroupMatcher::Kind::Pattern, "CN=" + p.prefix + "g(\\d+)," + p.groups_dn()};
  rule.roles = {"staff"};
  rule.institutions = {"$1"};
  m.rules.push_back(rule);
  return m;
}

// --sync-child URL USERS DB: one full sync; prints "RESULT seconds peak_kib rss_before_kib
// users groups grants read map apply".
int sync_child(const std::string& url, std::size_t users, const std::string& db_path) {
  const AdPopulation p = population(users);
  const MappingConfig mapping = mapping_for(p);
  malloc_trim(0);
  LdapSourceOptions o = ad_default_options();
  o.name = "ad";
  o.url = url;
  o.bind_dn = SambaDc::kAdminDn;
  o.bind_password = SambaDc::kAdminPassword;
  o.page_size = 1000;
  o.timeout = std::chrono::seconds(120);
  o.users.base = p.people_dn();
  o.groups.base = p.groups_dn();
  o.incremental = false;
  SystemClock clock;
  std::size_t n_users = 0, n_groups = 0, grants = 0;
  double t_read = 0, t_map = 0, t_apply = 0;
  bool ok = true;
  auto m = measure([&] {
    auto t0 = std::chrono::steady_clock::now();
    AdSource source(o, clock);
    auto snap = source.snapshot();
    t_read = seconds_since(t0);
    if (!snap) {
      fmt::print(stderr, "snapshot failed: {}\n", snap.error().message);
      ok = false;
      return;
    }
    n_users = snap->users.size();
    n_groups = snap->groups.size();
    t0 = std::chrono::steady_clock::now();
    std::vector<DirectorySnapshot> snaps;
    snaps.push_back(std::move(*snap));
    MappingResult mapped = map_directory(snaps, mapping);
    snaps.clear();
    t_map = seconds_since(t0);
    grants = mapped.model.grant_count();
    t0 = std::chrono::steady_clock::now();
    auto store = Store::open(db_path, clock);
    if (!store) {
      fmt::print(stderr, "store: {}\n", store.error().message);
      ok = false;
      return;
    }
    ApplyOptions apply;
    apply.sources = "ad";
    apply.summary = "bench full sync";
    auto applied = (*store)->apply(mapped.model, apply);
    t_apply = seconds_since(t0);
    if (!applied) {
      fmt::print(stderr, "apply: {}\n", applied.error().message);
      ok = false;
    }
  });
  if (!ok) return 1;
  fmt::print("RESULT {:.4f} {} {} {} {} {} {:.4f} {:.4f} {:.4f}\n", m.seconds, m.peak_rss_kib,
             m.rss_before_kib, n_users, n_groups, grants, t_read, t_map, t_apply);
  return 0;
}

struct SyncFigures {
  double seconds = 0, read = 0, map = 0, apply = 0;
  std::size_t peak_kib = 0, before_kib = 0, users = 0, groups = 0, grants = 0;
};

std::optional<SyncFigures> run_sync_child(const std::string& url, std::size_t users,
                                          const fs::path& dir, int round) {
  const fs::path db = dir / fmt::format("store-{}.db", round);
  const fs::path out = dir / "child.out";
  const Timed t = run_timed(
      {"/proc/self/exe", "--sync-child", url, std::to_string(users), db.string()}, out.string());
  std::ifstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("RESULT ")) continue;
    std::istringstream s(line.substr(7));
    SyncFigures f;
    s >> f.seconds >> f.peak_kib >> f.before_kib >> f.users >> f.groups >> f.grants >> f.read >>
        f.map >> f.apply;
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(fs::path(db.string() + suffix));
    return f;
  }
  fmt::print(stderr, "the sync child failed (exit {})\n", t.exit_code);
  return std::nullopt;
}

// Counts "dn: " lines and `member` values of an LDIF dump.
std::pair<std::size_t, std::size_t> count_dump(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::size_t entries = 0, members = 0;
  while (std::getline(in, line)) {
    if (line.starts_with("dn: ") || line.starts_with("dn:: ")) ++entries;
    if (line.starts_with("member: ") || line.starts_with("member:: ")) ++members;
  }
  return {entries, members};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--sync-child")
    return sync_child(argv[2], std::strtoul(argv[3], nullptr, 10), argv[4]);

  const std::size_t users = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 5000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  const AdPopulation p = population(users);

  SambaDc dc;
  fmt::print("samba AD DC: ready on {} in {:.2f} s (copy of the provisioned template + start)\n",
             dc.address(), dc.provision_time().count() / 1000.0);
  const auto loaded = dc.load(p);
  fmt::print("load: ldapadd of {} users + {} groups ({} member values) took {:.1f} s\n", users,
             p.groups, p.groups * std::min(p.members_per_group, users), loaded.count() / 1000.0);

  const fs::path dir = fs::temp_directory_path() / fmt::format("tg-bench-ad-{}", getpid());
  fs::create_directories(dir);
  const fs::path password = dir / "admin.pass";
  std::ofstream(password) << SambaDc::kAdminPassword;
  fs::permissions(password, fs::perms::owner_read | fs::perms::owner_write);
  const std::vector<std::string> dump = {
      "/usr/bin/ldapsearch",
      "-x",
      "-LLL",
      "-o",
      "ldif-wrap=no",
      "-H",
      dc.ldap_url(),
      "-D",
      SambaDc::kAdminDn,
      "-y",
      password.string(),
      "-b",
      p.ou_dn(),
      "-E",
      "pr=1000/noprompt",
      "(|(&(objectCategory=person)(objectClass=user))(objectClass=group))",
      "objectGUID",
      "sAMAccountName",
      "displayName",
      "mail",
      "userAccountControl",
      "accountExpires",
      "cn",
      "member"};
  // Warm the DC once so that neither side pays for the first touch; count what a dump holds.
  const fs::path dump_file = dir / "dump.ldif";
  const Timed warm = run_timed(dump, dump_file.string());
  if (warm.exit_code != 0) {
    fmt::print(stderr, "ldapsearch failed (exit {})\n", warm.exit_code);
    return 1;
  }
  const auto [entries, members] = count_dump(dump_file);
  fmt::print("dump holds {} entries and {} member values (all values in one go, no ranges)\n",
             entries, members);

  std::vector<double> dumps, syncs;
  std::size_t sync_peak = 0;
  long dump_peak = 0;
  for (int round = 0; round < rounds; ++round) {
    const Timed d = run_timed(dump);
    if (d.exit_code != 0) {
      fmt::print(stderr, "ldapsearch failed (exit {})\n", d.exit_code);
      return 1;
    }
    auto f = run_sync_child(dc.ldap_url(), users, dir, round);
    if (!f) return 1;
    dumps.push_back(d.seconds);
    syncs.push_back(f->seconds);
    sync_peak = std::max(sync_peak, f->peak_kib);
    dump_peak = std::max(dump_peak, d.peak_kib);
    fmt::print(
        "round {}: dump {:.2f} s (ldapsearch max RSS {:.1f} MiB) | full sync {:.2f} s (read "
        "{:.2f} + map {:.2f} + apply {:.2f}), {} users, {} groups, {} grants, peak RSS {:.1f} "
        "MiB (process before: {:.1f} MiB); ratio {:.2f}x\n",
        round + 1, d.seconds, d.peak_kib / 1024.0, f->seconds, f->read, f->map, f->apply, f->users,
        f->groups, f->grants, f->peak_kib / 1024.0, f->before_kib / 1024.0, f->seconds / d.seconds);
  }
  const double d = median(dumps), s = median(syncs);
  fmt::print(
      "median of {}: dump {:.2f} s, full sync {:.2f} s, ratio {:.2f}x; peak RSS: sync {:.1f} "
      "MiB, ldapsearch {:.1f} MiB\n",
      rounds, d, s, s / d, sync_peak / 1024.0, dump_peak / 1024.0);
  fs::remove_all(dir);
  return 0;
}
