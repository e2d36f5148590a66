// Benchmark: a full LDAP sync of the synthetic directory (100k users, 2k groups, one group of
// 5,000 members, nesting 5 deep, 500 schools) from a private slapd, against the floor of a
// plain paged `ldapsearch` dump of the same server, measured in the same run.
//
//   dump:       ldapsearch -x -E pr=1000/noprompt "(objectClass=*)" > /dev/null   (wall time)
//   full sync:  LdapSource snapshot (incremental = false, page size 1000) + map + apply to a
//               fresh store as the sync engine does it (users written to the store while the
//               next are mapped, then the diff's counts as the daemon's loop asks for them, then
//               the commit), in a fresh child process (this binary with
//               --sync-child), so its peak RSS (VmHWM) is that of the sync alone, as in the
//               daemon, not of the generator that wrote the LDIF. The clock stops when the
//               revision is committed: the daemon serves it from then on.
//
// Usage: bench_ldap_full_sync [USERS] [ROUNDS]
//
// The bench targets do not link the test harness library (it pulls in GoogleTest), so the
// slapd fixture, which needs no GoogleTest, is compiled in here.
#include <fmt/format.h>

#include <malloc.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <memory>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "bench/lib/measure.h"
#include "bench/lib/synthetic_directory.h"
#include "common/background_release.h"
#include "common/clock.h"
#include "connectors/ldap/ldap_source.h"
#include "daemon/store/sqlite_library.h"
#include "daemon/store/store.h"
#include "daemon/sync/revision_stream.h"
#include "mapping/mapper.h"
#include "mapping/model_diff.h"
#include "tests/harness/slapd.cc"  // NOLINT: see the header comment

using namespace trustgate;
using namespace trustgate::bench;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPeople = "ou=people,dc=la,dc=example";
constexpr const char* kGroups = "ou=groups,dc=la,dc=example";

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Ran {
  int rc = 127;
  double wall = 0;
  double cpu = 0;  // the child's user + system CPU seconds
};

double cpu_seconds(const rusage& u) {
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

double self_cpu_seconds() {  // all threads of this process
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return cpu_seconds(u);
}

// User + system CPU seconds a running process has used so far (/proc/PID/stat).
double process_cpu_seconds(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(f);  // utime, stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Runs argv with stdout to `out_path` (or /dev/null) and stderr to /dev/null.
Ran run_timed(const std::vector<std::string>& argv, const std::string& out_path = "/dev/null") {
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
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return {};
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, seconds_since(start), cpu_seconds(usage)};
}

std::size_t peak_rss_kib_now() {  // VmHWM so far (measure() reset it at the phase start)
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("VmHWM:")) return std::stoul(line.substr(6));
  return 0;
}

// The synthetic mapping only depends on the schools and the base, not on the users: build it
// from a small directory of the same shape.
MappingConfig mapping_for(const SyntheticShape& shape) {
  SyntheticShape small = shape;
  small.users = 1000;
  small.big_group_members = 100;
  small.groups = std::min<std::size_t>(shape.groups, 600);
  return make_synthetic_directory(small).mapping;
}

// --sync-child URL USERS DB: one full sync; prints "RESULT seconds peak_kib rss_before_kib
// users groups grants" and the phase times.
int sync_child(const std::string& url, std::size_t users, const std::string& db_path) {
  (void)configure_sqlite_library();  // as trustgated does
  SyntheticShape shape;
  shape.users = users;
  MappingConfig mapping = mapping_for(shape);
  malloc_trim(0);
  LdapSourceOptions o;
  o.name = "synthetic";
  o.url = url;
  o.bind_dn = SlapdServer::kRootDn;
  o.bind_password = SlapdServer::kRootPassword;
  o.page_size = 1000;
  o.timeout = std::chrono::seconds(120);
  o.users.base = kPeople;
  o.users.disabled_attr = "employeeType";
  o.users.disabled_values = {"disabled"};
  o.groups.base = kGroups;
  o.incremental = false;
  SystemClock clock;
  std::size_t n_users = 0, n_groups = 0, grants = 0;
  double t_read = 0, t_map = 0, t_apply = 0, t_applied = 0, t_checkpoint = 0;
  std::size_t peak_read = 0, peak_map = 0;
  double cpu_read = 0, cpu_map = 0, cpu_apply = 0;  // this process's CPU seconds per phase
  bool ok = true, streamed = false;
  auto m = measure([&] {
    // Opened first, as the daemon has its store open before it syncs.
    auto store = Store::open(db_path, clock);
    if (!store) {
      fmt::print(stderr, "store: {}\n", store.error().message);
      ok = false;
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    auto t0 = start;
    double c0 = self_cpu_seconds();
    LdapSource source(o);
    auto snap = source.snapshot();
    t_read = seconds_since(t0);
    cpu_read = self_cpu_seconds() - c0;
    if (!snap) {
      fmt::print(stderr, "snapshot failed: {}\n", snap.error().message);
      ok = false;
      return;
    }
    peak_read = peak_rss_kib_now();
    n_users = snap->users.size();
    n_groups = snap->groups.size();
    t0 = std::chrono::steady_clock::now();
    c0 = self_cpu_seconds();
    std::vector<DirectorySnapshot> snaps;
    snaps.push_back(std::move(*snap));
    // As the sync engine does: users are written to the store while the next are mapped.
    RevisionStream stream(**store);
    MappingResult mapped = map_directory(snaps, mapping, nullptr, 0, stream.sink());
    streamed = mapped.streamed;
    // As the sync engine does: the entries are freed on another thread, beside the apply.
    std::jthread releasing = release_in_background(std::move(snaps));
    t_map = seconds_since(t0);
    cpu_map = self_cpu_seconds() - c0;
    peak_map = peak_rss_kib_now();
    t0 = std::chrono::steady_clock::now();
    c0 = self_cpu_seconds();
    // As the daemon's sync loop does: the diff against the current revision (empty here), in
    // counts, then the commit with its summary.
    const ModelDiff diff = diff_models(AccessModel{}, mapped.model, DiffDetail::CountsOnly);
    grants = diff.grants_added;
    ApplyOptions apply;
    apply.sources = "synthetic";
    apply.summary = diff.summary();
    // As the daemon does: the store keeps the applied model itself, no copy.
    auto applied = stream.apply(
        mapped.streamed, std::make_shared<const AccessModel>(std::move(mapped.model)), apply);
    t_apply = seconds_since(t0);
    cpu_apply = self_cpu_seconds() - c0;
    // The sync is done once the revision is applied: the daemon serves it from here on. Freeing
    // the model and closing the store (end of this scope) are the bench's, not the sync's.
    t_applied = seconds_since(start);
    if (!applied) {
      fmt::print(stderr, "apply: {}\n", applied.error().message);
      ok = false;
      return;
    }
    // What the sync loop does next, once the revision is served: the store's checkpoint.
    t0 = std::chrono::steady_clock::now();
    if (auto c = (*store)->checkpoint(); !c)
      fmt::print(stderr, "checkpoint: {}\n", c.error().message);
    t_checkpoint = seconds_since(t0);
  });
  if (!ok) return 1;
  fmt::print(
      "RESULT {:.4f} {} {} {} {} {} {:.4f} {:.4f} {:.4f} {} {} {:.4f} {:.4f} {:.4f} {:.4f} {} "
      "{:.4f}\n",
      t_applied, m.peak_rss_kib, m.rss_before_kib, n_users, n_groups, grants, t_read, t_map,
      t_apply, peak_read, peak_map, m.seconds, cpu_read, cpu_map, cpu_apply, streamed ? 1 : 0,
      t_checkpoint);
  return 0;
}

struct SyncFigures {
  double seconds = 0, read = 0, map = 0, apply = 0;
  double with_teardown = 0;  // until the model and store are freed
  double cpu = 0;            // the sync process's user + system CPU seconds
  double cpu_read = 0, cpu_map = 0, cpu_apply = 0;
  std::size_t peak_kib = 0, before_kib = 0, users = 0, groups = 0, grants = 0;
  std::size_t peak_after_read = 0, peak_after_map = 0;
  int streamed = 0;       // users written while mapping
  double checkpoint = 0;  // the store's checkpoint after the revision is served
};

std::optional<SyncFigures> run_sync_child(const std::string& url, std::size_t users,
                                          const fs::path& dir, int round) {
  const fs::path db = dir / fmt::format("store-{}.db", round);
  const fs::path out = dir / "child.out";
  const Ran ran = run_timed(
      {"/proc/self/exe", "--sync-child", url, std::to_string(users), db.string()}, out.string());
  std::ifstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("RESULT ")) continue;
    std::istringstream s(line.substr(7));
    SyncFigures f;
    s >> f.seconds >> f.peak_kib >> f.before_kib >> f.users >> f.groups >> f.grants >> f.read >>
        f.map >> f.apply >> f.peak_after_read >> f.peak_after_map >> f.with_teardown >>
        f.cpu_read >> f.cpu_map >> f.cpu_apply >> f.streamed >> f.checkpoint;
    f.cpu = ran.cpu;
    fs::remove(db);
    fs::remove(fs::path(db.string() + "-wal"));
    fs::remove(fs::path(db.string() + "-shm"));
    return f;
  }
  fmt::print(stderr, "the sync child failed (exit {})\n", ran.rc);
  return std::nullopt;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--sync-child")
    return sync_child(argv[2], std::strtoul(argv[3], nullptr, 10), argv[4]);

  SyntheticShape shape;
  if (argc > 1) shape.users = std::strtoul(argv[1], nullptr, 10);
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;

  std::string ldif;
  {
    const auto t0 = std::chrono::steady_clock::now();
    SyntheticDirectory synthetic = make_synthetic_directory(shape);
    std::ostringstream out;
    write_ldif(out, synthetic, shape);
    ldif = std::move(out).str();
    std::size_t members = 0;
    for (const auto& g : synthetic.snapshot.groups) members += g.member_dns.size();
    fmt::print(
        "directory: {} users, {} groups ({} member values, largest group {}, nesting {} deep, "
        "{} schools); LDIF {:.1f} MiB, generated in {:.2f} s\n",
        synthetic.snapshot.users.size(), synthetic.snapshot.groups.size(), members,
        shape.big_group_members, shape.nesting_depth, shape.schools, ldif.size() / 1048576.0,
        seconds_since(t0));
  }
  SlapdOptions options;
  options.ldif = std::move(ldif);
  const auto t_load = std::chrono::steady_clock::now();
  SlapdServer slapd(options);  // slapadd -q, then slapd on loopback
  options.ldif.clear();
  options.ldif.shrink_to_fit();
  fmt::print("slapd: loaded with slapadd -q and started in {:.2f} s (incl. test certificates)\n",
             seconds_since(t_load));

  const fs::path dir = fs::temp_directory_path() / fmt::format("tg-bench-ldap-{}", getpid());
  fs::create_directories(dir);
  const std::vector<std::string> dump = {"/usr/bin/ldapsearch",
                                         "-x",
                                         "-H",
                                         slapd.ldap_url(),
                                         "-D",
                                         SlapdServer::kRootDn,
                                         "-w",
                                         SlapdServer::kRootPassword,
                                         "-b",
                                         SlapdServer::kSuffix,
                                         "-E",
                                         "pr=1000/noprompt",
                                         "(objectClass=*)"};
  // Warm slapd's caches once so neither side pays for the first touch.
  run_timed(dump);

  std::vector<double> dumps, syncs;
  std::vector<SyncFigures> figures;
  for (int round = 0; round < rounds; ++round) {
    const double slapd_before_dump = process_cpu_seconds(slapd.pid());
    const Ran dumped = run_timed(dump);
    if (dumped.rc != 0) {
      fmt::print(stderr, "ldapsearch failed (exit {})\n", dumped.rc);
      return 1;
    }
    const double slapd_dump = process_cpu_seconds(slapd.pid()) - slapd_before_dump;
    const double dump_s = dumped.wall;
    const double slapd_before_sync = process_cpu_seconds(slapd.pid());
    auto f = run_sync_child(slapd.ldap_url(), shape.users, dir, round);
    if (!f) return 1;
    const double slapd_sync = process_cpu_seconds(slapd.pid()) - slapd_before_sync;
    dumps.push_back(dump_s);
    syncs.push_back(f->seconds);
    figures.push_back(*f);
    fmt::print(
        "round {}: dump {:.2f} s | full sync {:.2f} s until applied (read {:.2f} + map {:.2f}{} + "
        "apply {:.2f}; then checkpoint {:.2f}; {:.2f} s with it and freeing the model), {} users, "
        "{} groups, {} grants, peak RSS "
        "{:.1f} MiB (process before: {:.1f} MiB; peak after read {:.1f}, after map {:.1f}); ratio "
        "{:.2f}x\n",
        round + 1, dump_s, f->seconds, f->read, f->map,
        f->streamed ? " while writing the users" : "", f->apply, f->checkpoint, f->with_teardown,
        f->users, f->groups, f->grants, f->peak_kib / 1024.0, f->before_kib / 1024.0,
        f->peak_after_read / 1024.0, f->peak_after_map / 1024.0, f->seconds / dump_s);
    // CPU seconds (user + system): what each side cost the machine. On N cores a side can not
    // finish faster than its CPU seconds / N.
    fmt::print(
        "         CPU: dump {:.2f} s (ldapsearch {:.2f} + slapd {:.2f}) | full sync {:.2f} s "
        "(trustgate {:.2f}: read {:.2f} + map {:.2f} + apply {:.2f}; + slapd {:.2f})\n",
        dumped.cpu + slapd_dump, dumped.cpu, slapd_dump, f->cpu + slapd_sync, f->cpu, f->cpu_read,
        f->cpu_map, f->cpu_apply, slapd_sync);
  }
  std::size_t peak = 0;
  for (const auto& f : figures) peak = std::max(peak, f.peak_kib);
  const double d = median(dumps), s = median(syncs);
  fmt::print(
      "median of {}: dump {:.2f} s, full sync {:.2f} s, ratio {:.2f}x (target <= 1.5x); "
      "peak RSS {:.1f} MiB (target <= 150 MB = 143 MiB)\n",
      rounds, d, s, s / d, peak / 1024.0);
  fs::remove_all(dir);
  return 0;
}
