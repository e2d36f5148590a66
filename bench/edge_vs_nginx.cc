// Benchmark: trustgated's HTTP edge side by side with nginx, on one machine in one run (issue 16).
//
// Starts nginx (bench/lib/nginx_process.h: its own config in a temp folder, one process, access
// log off, `location / { return 200 '{"status":"ok"}'; }`) and the real trustgated (a synthetic
// directory, default 10k users and 100 schools, as bench_api_wrk), both on free loopback ports,
// and measures, all in the same run:
//   1. closed loop (wrk -t<wrk-threads>, each connection sends its next request when the last is
//      answered), at 4, 64, 256 and 1,024 connections: rps and p50/p99/p99.9 of nginx
//      `return 200`, trustgated `GET /healthz`, the read check (`GET /v1/explain?user=U&
//      institution=I`, Basic auth of the site client, rotating users: bench/wrk/explain.lua)
//      and the drop-down (`GET /v1/users/{id}/institutions`, the same auth, rotating users:
//      bench/wrk/users_institutions.lua); each trustgated figure with its ratio to nginx's rps
//      and p99 at the same connection count;
//   2. issue + redeem pairs/s at 64 connections (wrk, bench/wrk/handoff.lua);
//   3. paced (open loop, bench/lib/paced_load.h: latency from each request's scheduled start)
//      at 20,000 req/s over 256 connections: nginx `GET /`, then the drop-down;
//   4. a normal request (nginx `GET /`, trustgated's drop-down), paced at 1,000 req/s over 4
//      connections, first alone, then while 2,000 idle keep-alive connections (connected, one
//      request answered, then silent) and 200 slowloris connections (a request head sent one
//      byte a second, never finished; reopened when the server closes one) are held open
//      against the same server (bench/lib/held_connections.h).
// wrk -t1 by default: with two cores, one wrk thread leaves the other to the server (the issue's
// figures were taken so too); --wrk-threads=2 loads harder. wrk's latencies cover answered
// requests only, and it counts a request as a timeout only when a check finds it older than
// --timeout (every 2 s), so a connection the server never serves hardly shows in them. Hence,
// during every run, a GET on a fresh connection every 250 ms (the "new connections" figures: do
// new clients get in?). The paced figures count every scheduled request (bench/lib/
// paced_load.h). Between runs the bench waits until the server answers a GET quickly again (a
// thread-per-connection server may still be draining the last run's connections). A run whose
// requests time out or fail is reported with its counts, never aborted. Prints each figure as
// it is measured, then a table and the targets, and writes every figure to a CSV file
// (--csv= with no path: none).
//
// Usage: bench_edge_vs_nginx [--seconds=5] [--connections=4,64,256,1024] [--wrk-threads=1]
//          [--users=10000] [--timeout=2] [--paced-rate=20000] [--paced-connections=256]
//          [--held-idle=2000] [--held-slowloris=200] [--held-seconds=12] [--held-rate=1000]
//          [--held-connections=4] [--threads=32] [--event-loops=N] [--max-connections=4096]
//          [--idle-timeout=60] [--request-timeout=10] [--csv=edge_vs_nginx.csv]
//          [--only=closed,pairs,paced,held]
// --threads, --event-loops, --max-connections, --idle-timeout and --request-timeout are
// trustgated's [http] keys threads, event_loops, max_connections, idle_timeout and
// request_timeout (event_loops is written only when given: the thread-per-connection edge
// rejects it). max_connections_per_client is set to max_connections, so that no per-client cap
// binds on loopback. nginx gets the same limits: worker_connections and the listen backlog =
// max_connections, keepalive_timeout = idle_timeout, client_header_timeout = request_timeout,
// keepalive_requests 1000 (trustgated's fixed limit per connection). The idle timeout is above
// the held phase's length so that idle connections stay open while measured. RLIMIT_NOFILE is
// raised to its hard limit (the servers and wrk inherit it). At the defaults a run took 2.5
// minutes on the 2-core project machine (old edge, its timeouts included).
// The daemon binary is found next to this one (../daemon/trustgated) unless $TRUSTGATED names it,
// nginx at /usr/sbin/nginx unless $NGINX does, the Lua scripts in bench/wrk unless
// $TRUSTGATE_WRK_SCRIPTS names them.
//
// The bench targets do not link the test harness library (it pulls in GoogleTest), so the
// harness file this needs, which needs no GoogleTest, is compiled in here.
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {
std::string g_trustgated;  // the daemon binary, set in main before any use
}
#define TRUSTGATED_BIN g_trustgated
#include "tests/harness/daemon_process.cc"  // NOLINT: see the header comment

#include "bench/lib/api_setup.h"
#include "bench/lib/held_connections.h"
#include "bench/lib/measure.h"
#include "bench/lib/nginx_process.h"
#include "bench/lib/paced_load.h"
#include "bench/lib/raw_http.h"
#include "bench/lib/wrk.h"

using namespace trustgate;
using namespace trustgate::bench;
using trustgate::testing::DaemonProcess;
namespace fs = std::filesystem;

namespace {

constexpr char kUsage[] =
    "usage: bench_edge_vs_nginx [--seconds=5] [--connections=4,64,256,1024] [--wrk-threads=1]\n"
    "         [--users=10000] [--timeout=2] [--paced-rate=20000] [--paced-connections=256]\n"
    "         [--held-idle=2000] [--held-slowloris=200] [--held-seconds=12] [--held-rate=1000]\n"
    "         [--held-connections=4] [--threads=32] [--event-loops=N] [--max-connections=4096]\n"
    "         [--idle-timeout=60] [--request-timeout=10] [--csv=edge_vs_nginx.csv]\n"
    "         [--only=closed,pairs,paced,held]\n";

struct Options {
  int seconds = 5;  // each closed-loop, pair and paced run
  std::vector<int> connections = {4, 64, 256, 1024};
  int wrk_threads = 1;  // one wrk thread leaves the other core to the server
  std::size_t users = 10'000;
  int timeout = 2;  // a request unanswered this long is a timeout (wrk's default; paced too)
  double paced_rate = 20'000;
  int paced_connections = 256;
  int held_idle = 2000, held_slowloris = 200;
  int held_seconds = 12;  // longer than request_timeout, so slowloris deadlines fall inside
  double held_rate = 1000;
  int held_connections = 4;
  int pair_connections = 64;
  // trustgated [http] (and the matching nginx limits)
  int threads = 32;      // the daemon's default
  int event_loops = -1;  // -1: key not written (the old edge does not know it)
  int max_connections = 4096;
  int idle_timeout = 60;
  int request_timeout = 10;
  std::string csv = "edge_vs_nginx.csv";
  std::set<std::string> only = {"closed", "pairs", "paced", "held"};
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, sep);) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

// A number option: digits (a fraction is cut for whole-number fields), not negative.
template <class T>
std::function<void(const std::string&)> number(T& field) {
  return [&field](const std::string& value) {
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || v < 0) throw std::invalid_argument(value);
    field = static_cast<T>(v);
  };
}

std::optional<Options> parse(int argc, char** argv) {
  Options o;
  const std::map<std::string, std::function<void(const std::string&)>> options = {
      {"--seconds", number(o.seconds)},
      {"--connections",
       [&](const std::string& v) {
         o.connections.clear();
         for (const auto& c : split(v, ',')) o.connections.push_back(std::stoi(c));
       }},
      {"--wrk-threads", number(o.wrk_threads)},
      {"--users", number(o.users)},
      {"--timeout", number(o.timeout)},
      {"--paced-rate", number(o.paced_rate)},
      {"--paced-connections", number(o.paced_connections)},
      {"--held-idle", number(o.held_idle)},
      {"--held-slowloris", number(o.held_slowloris)},
      {"--held-seconds", number(o.held_seconds)},
      {"--held-rate", number(o.held_rate)},
      {"--held-connections", number(o.held_connections)},
      {"--threads", number(o.threads)},
      {"--event-loops", number(o.event_loops)},
      {"--max-connections", number(o.max_connections)},
      {"--idle-timeout", number(o.idle_timeout)},
      {"--request-timeout", number(o.request_timeout)},
      {"--csv", [&](const std::string& v) { o.csv = v; }},
      {"--only",
       [&](const std::string& v) {
         o.only.clear();
         for (const auto& part : split(v, ',')) {
           if (part != "closed" && part != "pairs" && part != "paced" && part != "held") {
             throw std::invalid_argument(part);
           }
           o.only.insert(part);
         }
       }},
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    const auto set = options.find(arg);
    if (set == options.end()) {
      if (arg != "-h" && arg != "--help") fmt::print(stderr, "unknown option {}\n", arg);
      return std::nullopt;
    }
    try {
      set->second(value);
    } catch (const std::exception&) {
      fmt::print(stderr, "bad value for {}: '{}'\n", arg, value);
      return std::nullopt;
    }
  }
  if (o.seconds < 1 || o.wrk_threads < 1 || o.timeout < 1 || o.users < 100 ||
      o.connections.empty() || o.paced_connections < 1 || o.held_connections < 1 || o.threads < 1 ||
      o.max_connections < 1 || o.idle_timeout < 1 || o.request_timeout < 1) {
    fmt::print(stderr, "an option is out of range\n");
    return std::nullopt;
  }
  return o;
}

constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

// One figure: a line of the table and of the CSV.
struct Row {
  std::string section;  // closed, pairs, paced, held
  std::string server;   // nginx, trustgated
  std::string what;
  int connections = 0;
  std::string mode;  // how the load was made
  double seconds = 0;
  double count = 0;  // requests (or pairs) done
  double per_second = 0;
  std::string unit = "req/s";
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  long non_2xx = 0, errors = 0, timeouts = 0;
  long unanswered = 0;  // paced: requests not answered (or not sent) when the run ended
  double rps_vs_nginx = kNone, p99_vs_nginx = kNone;
  double server_cpu_us = kNone;  // the server's CPU time per request (or pair)
  // Fresh connections during the run (Prober): how many, their median and worst answer time,
  // and how many got no answer within the timeout.
  int probes = 0, probes_unanswered = 0;
  double probe_p50_ms = 0, probe_max_ms = 0;
  std::string note;
};

// During a run, a GET on a new connection every 250 ms (each waiting at most `timeout_ms`): does
// a new client get in while the load's connections are open?
class Prober {
 public:
  Prober(int port, std::string target, int timeout_ms)
      : port_(port), target_(std::move(target)), timeout_ms_(timeout_ms) {
    thread_ = std::thread([this] { run(); });
  }
  ~Prober() { stop(); }
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  // Stops (after the probe in flight) and puts the figures into `r`.
  void stop(Row* r = nullptr) {
    if (thread_.joinable()) {
      stop_ = true;
      thread_.join();
    }
    if (!r) return;
    r->probes = static_cast<int>(ms_.size()) + unanswered_;
    r->probes_unanswered = unanswered_;
    r->probe_p50_ms = percentile(ms_, 0.5);
    r->probe_max_ms = ms_.empty() ? 0 : *std::max_element(ms_.begin(), ms_.end());
  }

 private:
  void run() {
    using Clock = std::chrono::steady_clock;
    while (!stop_) {
      const auto t0 = Clock::now();
      if (http_get(port_, target_, "", timeout_ms_).status == 200) {
        ms_.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      } else {
        ++unanswered_;
      }
      const auto next = t0 + std::chrono::milliseconds(250);
      while (!stop_ && Clock::now() < next)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  const int port_;
  const std::string target_;
  const int timeout_ms_;
  std::atomic<bool> stop_{false};
  std::vector<double> ms_;
  int unanswered_ = 0;
  std::thread thread_;
};

std::string ratio_text(const Row& r) {
  if (std::isnan(r.rps_vs_nginx)) return "";
  return fmt::format("{:5.1f}% of nginx rps, p99 {:.2f}x nginx", 100 * r.rps_vs_nginx,
                     r.p99_vs_nginx);
}

// "median 0.4 / max 1.6 ms, 0 of 13 unanswered"
std::string probe_text(const Row& r) {
  if (r.probes == r.probes_unanswered)
    return fmt::format("{} of {} unanswered", r.probes, r.probes);
  return fmt::format("median {:.1f} / max {:.1f} ms, {} of {} unanswered", r.probe_p50_ms,
                     r.probe_max_ms, r.probes_unanswered, r.probes);
}

void print_row(const Row& r) {
  fmt::print("  {:<10} {:<28} c={:<5} {:>9.0f} {:<7} p50 {:>8.3f}  p99 {:>8.3f}  p99.9 {:>8.3f} ms",
             r.server, r.what, r.connections, r.per_second, r.unit, r.p50_ms, r.p99_ms, r.p999_ms);
  if (const auto ratio = ratio_text(r); !ratio.empty()) fmt::print("  [{}]", ratio);
  if (!std::isnan(r.server_cpu_us)) {
    fmt::print("  CPU {:.0f} us/{}", r.server_cpu_us, r.unit == "pairs/s" ? "pair" : "req");
  }
  if (r.probes > 0) fmt::print("  new connections: {}", probe_text(r));
  if (!r.note.empty()) fmt::print("  {}", r.note);
  fmt::print("\n");
  std::fflush(stdout);
}

void compare(Row& r, const Row& nginx) {
  r.rps_vs_nginx = nginx.per_second > 0 ? r.per_second / nginx.per_second : kNone;
  r.p99_vs_nginx = nginx.p99_ms > 0 ? r.p99_ms / nginx.p99_ms : kNone;
}

// Waits (at most 30 s) until the server answers GET `target` three times in a row within 50 ms
// each; returns the seconds waited.
double settle(int port, const std::string& target) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  int good = 0;
  while (Clock::now() - start < std::chrono::seconds(30)) {
    const auto t0 = Clock::now();
    const HttpReply r = http_get(port, target, "", 1000);
    if (r.status == 200 && Clock::now() - t0 < std::chrono::milliseconds(50)) {
      if (++good == 3) break;
    } else {
      good = 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Server {
  std::string name;  // nginx, trustgated
  int port = 0;
  pid_t pid = -1;
  std::string probe;  // a cheap GET for settle()
};

class Bench {
 public:
  Bench(const Options& o, Server nginx, Server daemon, std::string users_file,
        std::string explain_file, std::string pairs_file, std::vector<std::string> users)
      : o_(o),
        nginx_(std::move(nginx)),
        daemon_(std::move(daemon)),
        users_file_(std::move(users_file)),
        explain_file_(std::move(explain_file)),
        pairs_file_(std::move(pairs_file)),
        site_(basic_auth(kBenchSiteId, kBenchSiteSecret)) {
    for (const auto& u : users)
      dropdowns_.push_back(get_request("/v1/users/" + u + "/institutions", site_));
  }

  const std::vector<Row>& rows() const { return rows_; }

  void closed_loop() {
    fmt::print("\n1. closed loop (wrk -t{}, {} s each)\n", o_.wrk_threads, o_.seconds);
    for (const int c : o_.connections) {
      const Row n = wrk_row("closed", nginx_, "return 200", "/", c, "", {});
      for (const auto& [what, path, script, args] :
           {std::tuple<std::string, std::string, std::string, std::vector<std::string>>{
                "GET /healthz", "/healthz", "", {}},
            {"read check (explain)", "/", "explain.lua", {explain_file_, site_}},
            {"drop-down", "/", "users_institutions.lua", {users_file_, site_}}}) {
        wrk_row("closed", daemon_, what, path, c, script, args, &n);
      }
    }
  }

  void pairs() {
    fmt::print("\n2. issue + redeem pairs (wrk -t{} -c{}, handoff.lua, {} s)\n", o_.wrk_threads,
               o_.pair_connections, o_.seconds);
    wrk_row("pairs", daemon_, "issue+redeem", "/", o_.pair_connections, "handoff.lua",
            {pairs_file_, site_});
  }

  void paced() {
    fmt::print("\n3. paced (open loop) {:.0f} req/s over {} connections, {} s each\n",
               o_.paced_rate, o_.paced_connections, o_.seconds);
    const Row n = paced_row("paced", nginx_, "return 200", {get_request("/")}, o_.paced_connections,
                            o_.paced_rate, o_.seconds, nullptr);
    wait_settled(nginx_);
    paced_row("paced", daemon_, "drop-down", dropdowns_, o_.paced_connections, o_.paced_rate,
              o_.seconds, &n);
    wait_settled(daemon_);
  }

  void held() {
    fmt::print(
        "\n4. a normal request paced at {:.0f} req/s over {} connections: alone ({} s), then "
        "with {} idle + {} slowloris connections held open ({} s)\n",
        o_.held_rate, o_.held_connections, o_.seconds, o_.held_idle, o_.held_slowloris,
        o_.held_seconds);
    const auto n = held_rows(nginx_, "return 200", {get_request("/")}, nullptr);
    held_rows(daemon_, "drop-down", dropdowns_, &n);
  }

 private:
  // The server's CPU time over `run`, per operation.
  template <class Run>
  double cpu_per_op(const Server& s, double& count, Run run) {
    const double before = process_cpu_us(s.pid);
    run();
    return count > 0 ? (process_cpu_us(s.pid) - before) / count : kNone;
  }

  void wait_settled(const Server& s) {
    const double waited = settle(s.port, s.probe);
    if (waited > 1) fmt::print("  ({} took {:.1f} s to answer quickly again)\n", s.name, waited);
  }

  Row wrk_row(const std::string& section, const Server& s, const std::string& what,
              const std::string& path, int connections, const std::string& script,
              const std::vector<std::string>& args, const Row* nginx = nullptr) {
    WrkRun run;
    run.url = fmt::format("http://127.0.0.1:{}{}", s.port, path);
    run.threads = std::min(o_.wrk_threads, connections);
    run.connections = connections;
    run.seconds = o_.seconds;
    run.timeout_seconds = o_.timeout;
    if (!script.empty()) run.script = (wrk_scripts_dir() / script).string();
    run.script_args = args;
    Row r;
    r.section = section;
    r.server = s.name;
    r.what = what;
    r.connections = connections;
    r.mode = fmt::format("wrk -t{} closed loop", run.threads);
    WrkResult w;
    r.server_cpu_us = cpu_per_op(s, r.count, [&] {
      Prober prober(s.port, s.probe, o_.timeout * 1000);
      w = run_wrk(run);
      prober.stop(&r);
      r.count = w.requests;
    });
    r.seconds = w.seconds;
    r.per_second = w.per_second;
    r.p50_ms = w.p50_ms;
    r.p99_ms = w.p99_ms;
    r.p999_ms = w.p999_ms;
    r.max_ms = w.max_ms;
    r.non_2xx = w.non_2xx;
    r.errors = w.connect_errors + w.read_errors + w.write_errors;
    r.timeouts = w.timeouts;
    r.note = w.errors();
    if (!w.ran) {
      r.note = "wrk gave no figures";
      fmt::print(stderr, "wrk gave no figures for {} {}:\n{}\n", s.name, what, w.output);
    }
    if (const auto check = w.script_line("check"); check && counter(*check, "other") > 0) {
      r.note += (r.note.empty() ? "" : "; ") + ("check: " + *check);
    }
    if (const auto line = w.script_line("handoff")) {  // a pair is an active redeem
      const long active = counter(*line, "active");
      r.note = fmt::format("{:.0f} req/s, latency per request; handoff: {}{}{}", r.per_second,
                           *line, r.note.empty() ? "" : "; ", r.note);
      r.per_second = w.seconds > 0 ? static_cast<double>(active) / w.seconds : 0;
      r.server_cpu_us = r.server_cpu_us * r.count / std::max(1.0, static_cast<double>(active));
      r.count = static_cast<double>(active);
      r.unit = "pairs/s";
    }
    finish(r, nginx);
    wait_settled(s);
    return r;
  }

  Row paced_row(const std::string& section, const Server& s, const std::string& what,
                const std::vector<std::string>& requests, int connections, double rate, int seconds,
                const Row* nginx, const std::function<void(Row&)>& annotate = nullptr) {
    PacedLoad load;
    load.port = s.port;
    load.connections = connections;
    load.rate = rate;
    load.seconds = seconds;
    load.timeout_seconds = o_.timeout;
    load.requests = requests;
    Row r;
    r.section = section;
    r.server = s.name;
    r.what = what;
    r.connections = connections;
    r.mode = fmt::format("paced {:.0f} req/s", rate);
    PacedResult p;
    r.server_cpu_us = cpu_per_op(s, r.count, [&] {
      Prober prober(s.port, s.probe, o_.timeout * 1000);
      p = run_paced(load);
      prober.stop(&r);
      r.count = static_cast<double>(p.ok + p.non_2xx);
    });
    r.seconds = seconds;
    r.per_second = p.per_second;
    r.p50_ms = p.p50_ms;
    r.p99_ms = p.p99_ms;
    r.p999_ms = p.p999_ms;
    r.max_ms = p.max_ms;
    r.non_2xx = p.non_2xx;
    r.errors = p.errors;
    r.timeouts = p.timeouts;
    r.unanswered = p.unfinished;
    r.note = p.summary();
    if (annotate) annotate(r);
    return finish(r, nginx);
  }

  // The normal request alone, then with the connections held: {alone, held}.
  std::pair<Row, Row> held_rows(const Server& s, const std::string& what,
                                const std::vector<std::string>& requests,
                                const std::pair<Row, Row>* nginx) {
    std::pair<Row, Row> out;
    out.first = paced_row("held", s, what + ", nothing held", requests, o_.held_connections,
                          o_.held_rate, o_.seconds, nginx ? &nginx->first : nullptr);
    wait_settled(s);
    HeldLoad load;
    load.port = s.port;
    load.idle = o_.held_idle;
    load.slowloris = o_.held_slowloris;
    load.idle_request = get_request(s.probe);
    load.slow_head = "GET " + s.probe + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    load.answer_wait_seconds = 5;
    {
      HeldConnections held(load);
      const HeldStats before = held.stats();
      fmt::print("  {}: set up in {:.1f} s: {}\n", s.name, before.setup_seconds, before.summary());
      const std::string label =
          fmt::format("{}, {} idle + {} slowloris held", what, o_.held_idle, o_.held_slowloris);
      out.second = paced_row("held", s, label, requests, o_.held_connections, o_.held_rate,
                             o_.held_seconds, nginx ? &nginx->second : nullptr, [&](Row& r) {
                               r.note += fmt::format(
                                   "; held at the end: {}; {} RSS {:.1f} MiB, {} threads",
                                   held.stats().summary(), s.name,
                                   static_cast<double>(process_status(s.pid, "VmRSS")) / 1024,
                                   process_status(s.pid, "Threads"));
                             });
    }  // the held connections close here
    wait_settled(s);
    return out;
  }

  Row finish(Row& r, const Row* nginx) {
    if (nginx) compare(r, *nginx);
    print_row(r);
    rows_.push_back(r);
    return r;
  }

  const Options& o_;
  Server nginx_, daemon_;
  std::string users_file_, explain_file_, pairs_file_, site_;
  std::vector<std::string> dropdowns_;
  std::vector<Row> rows_;
};

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_number(double v, int digits = 3) {
  return std::isnan(v) ? "" : fmt::format("{:.{}f}", v, digits);
}

bool write_csv(const std::string& path, const std::string& stamp, const std::vector<Row>& rows) {
  std::ofstream out(path);
  if (!out) return false;
  out << "run,section,server,what,connections,mode,seconds,count,per_second,unit,p50_ms,p99_ms,"
         "p999_ms,max_ms,non_2xx,errors,timeouts,unanswered,rps_vs_nginx,p99_vs_nginx,server_cpu_"
         "us,new_conn_probes,new_conn_p50_ms,new_conn_max_ms,new_conn_unanswered,note\n";
  for (const Row& r : rows) {
    out << csv_field(stamp) << ',' << r.section << ',' << r.server << ',' << csv_field(r.what)
        << ',' << r.connections << ',' << csv_field(r.mode) << ',' << csv_number(r.seconds, 2)
        << ',' << csv_number(r.count, 0) << ',' << csv_number(r.per_second, 1) << ',' << r.unit
        << ',' << csv_number(r.p50_ms) << ',' << csv_number(r.p99_ms) << ','
        << csv_number(r.p999_ms) << ',' << csv_number(r.max_ms) << ',' << r.non_2xx << ','
        << r.errors << ',' << r.timeouts << ',' << r.unanswered << ',' << csv_number(r.rps_vs_nginx)
        << ',' << csv_number(r.p99_vs_nginx) << ',' << csv_number(r.server_cpu_us, 1) << ','
        << r.probes << ',' << csv_number(r.probe_p50_ms) << ',' << csv_number(r.probe_max_ms) << ','
        << r.probes_unanswered << ',' << csv_field(r.note) << '\n';
  }
  return static_cast<bool>(out);
}

void print_table(const std::vector<Row>& rows) {
  fmt::print(
      "\n| section | server | what | conns | load | throughput | p50 ms | p99 ms | p99.9 ms | "
      "vs nginx rps | p99 vs nginx | failed / timed out / unanswered | new connections |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Row& r : rows) {
    fmt::print(
        "| {} | {} | {} | {} | {} | {:.0f} {} | {:.3f} | {:.3f} | {:.3f} | {} | {} | {} | {} |\n",
        r.section, r.server, r.what, r.connections, r.mode, r.per_second, r.unit, r.p50_ms,
        r.p99_ms, r.p999_ms,
        std::isnan(r.rps_vs_nginx) ? "" : fmt::format("{:.1f}%", 100 * r.rps_vs_nginx),
        std::isnan(r.p99_vs_nginx) ? "" : fmt::format("{:.2f}x", r.p99_vs_nginx),
        r.errors + r.non_2xx + r.timeouts + r.unanswered == 0
            ? std::string("0")
            : fmt::format("{} / {} / {}", r.errors + r.non_2xx, r.timeouts, r.unanswered),
        probe_text(r));
  }
}

// The targets of issue 16, against the figures of this run.
void print_targets(const std::vector<Row>& rows, const Options& o) {
  auto find = [&](const std::string& section, const std::string& server,
                  const std::string& what_prefix, int connections) -> const Row* {
    for (const Row& r : rows) {
      if (r.section == section && r.server == server && r.what.starts_with(what_prefix) &&
          (connections < 0 || r.connections == connections)) {
        return &r;
      }
    }
    return nullptr;
  };
  auto verdict = [](bool met) { return met ? "met" : "NOT met"; };
  fmt::print("\ntargets of issue 16 (this run):\n");
  for (const int c : {64, 256}) {
    if (const Row* r = find("closed", "trustgated", "drop-down", c)) {
      fmt::print("  drop-down >= 50% of nginx rps at {} connections: {:.1f}%: {}\n", c,
                 100 * r->rps_vs_nginx, verdict(r->rps_vs_nginx >= 0.5));
    }
  }
  if (const Row* r = find("closed", "trustgated", "drop-down", 256)) {
    fmt::print("  drop-down p99 at 256 connections <= 3x nginx's: {:.2f}x: {}\n", r->p99_vs_nginx,
               verdict(r->p99_vs_nginx <= 3));
  }
  if (const Row* r = find("paced", "trustgated", "drop-down", -1)) {
    fmt::print("  paced {:.0f} req/s over {} connections, p99 < 5 ms: {:.3f} ms: {}\n",
               o.paced_rate, o.paced_connections, r->p99_ms, verdict(r->p99_ms < 5));
  }
  for (const int c : o.connections) {
    if (const Row* r = find("closed", "trustgated", "GET /healthz", c)) {
      fmt::print("  /healthz >= 70% of nginx rps at {} connections: {:.1f}%: {}\n", c,
                 100 * r->rps_vs_nginx, verdict(r->rps_vs_nginx >= 0.7));
    }
  }
  if (const Row* r = find("pairs", "trustgated", "issue+redeem", -1)) {
    fmt::print("  issue+redeem >= 5,000 pairs/s at {} connections: {:.0f}: {}\n", r->connections,
               r->per_second, verdict(r->per_second >= 5000));
  }
  for (const Row& r : rows) {
    if (r.section == "held" && r.server == "trustgated" &&
        r.what.find("held") != std::string::npos && r.what.find("nothing") == std::string::npos) {
      fmt::print(
          "  with {} idle + {} slowloris held, a normal request's p99 < 10 ms: {:.3f} ms: "
          "{}\n",
          o.held_idle, o.held_slowloris, r.p99_ms, verdict(r.p99_ms < 10));
    }
  }
}

std::string now_stamp() {
  const std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&t));
  return buf;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = parse(argc, argv);
  if (!parsed) {
    fmt::print(stderr, "{}", kUsage);
    return 2;
  }
  const Options o = *parsed;
  const auto started = std::chrono::steady_clock::now();
  g_trustgated = trustgated_binary();
  NginxOptions nginx_options;
  if (const char* env = std::getenv("NGINX"); env && *env) nginx_options.binary = env;
  if (::access(g_trustgated.c_str(), X_OK) != 0) {
    fmt::print(stderr, "no trustgated at {} (set $TRUSTGATED)\n", g_trustgated);
    return 1;
  }
  if (::access(nginx_options.binary.c_str(), X_OK) != 0) {
    fmt::print(stderr, "no nginx at {} (set $NGINX; Debian: nginx-light)\n", nginx_options.binary);
    return 1;
  }
  if (run_capture("wrk --version 2>&1").find("wrk") == std::string::npos) {
    fmt::print(stderr, "wrk is not installed\n");
    return 1;
  }

  // File descriptors: the servers and wrk inherit the limit.
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &files);
  ::getrlimit(RLIMIT_NOFILE, &files);
  const int max_conns = *std::max_element(o.connections.begin(), o.connections.end());
  const long needed = std::max<long>({max_conns, o.paced_connections,
                                      o.held_idle + o.held_slowloris + o.held_connections}) +
                      100;
  fmt::print("edge_vs_nginx: {}; {} cores; load before: {}\n", now_stamp(),
             std::thread::hardware_concurrency(), trim(run_capture("uptime")));
  fmt::print("RLIMIT_NOFILE raised to {} (hard {})\n", files.rlim_cur, files.rlim_max);
  if (static_cast<long>(files.rlim_cur) < needed) {
    fmt::print("warning: the figures need about {} file descriptors per process\n", needed);
  }

  ApiSetup setup = make_api_setup(o.users);
  std::string http_toml = fmt::format(
      "threads = {}\nmax_connections = {}\nmax_connections_per_client = {}\nidle_timeout = {}\n"
      "request_timeout = {}",
      o.threads, o.max_connections, o.max_connections, o.idle_timeout, o.request_timeout);
  if (o.event_loops >= 0) http_toml += fmt::format("\nevent_loops = {}", o.event_loops);
  setup.options.http_toml = http_toml;
  nginx_options.port = testing::free_loopback_port();
  nginx_options.worker_connections = o.max_connections;
  nginx_options.backlog = o.max_connections;
  nginx_options.keepalive_timeout_seconds = o.idle_timeout;
  nginx_options.keepalive_requests = 1000;
  nginx_options.client_header_timeout_seconds = o.request_timeout;

  NginxProcess nginx(nginx_options);
  if (!nginx.wait_ready()) {
    fmt::print(stderr, "nginx did not start:\n{}\n", nginx.log());
    return 1;
  }
  auto daemon = std::make_unique<DaemonProcess>(setup.options);
  if (!daemon->wait_ready(std::chrono::seconds(600))) {
    fmt::print(stderr, "trustgated did not become ready:\n{}\n", daemon->log());
    return 1;
  }
  const std::vector<HandoffPair> all_pairs = setup.plan;  // before confirm_plan samples it
  if (!confirm_plan(daemon->port(), setup.plan)) {
    fmt::print(stderr, "no (user, school) pair is allowed; check the synthetic directory\n");
    return 1;
  }
  const fs::path work = daemon->dir();
  std::vector<std::string> explain_lines, pair_lines;
  for (const auto& p : all_pairs) explain_lines.push_back(p.user + " " + p.inst);
  for (const auto& p : setup.plan)
    pair_lines.push_back(p.user + " " + p.inst + " " + p.school_auth);

  fmt::print(
      "nginx: {} (pid {}, port {}): one process (master_process off), worker_connections "
      "{}, backlog {}, keepalive_timeout {}s, keepalive_requests {}, "
      "client_header_timeout {}s, access_log off\n",
      nginx.version(), nginx.pid(), nginx.port(), nginx_options.worker_connections,
      nginx_options.backlog, nginx_options.keepalive_timeout_seconds,
      nginx_options.keepalive_requests, nginx_options.client_header_timeout_seconds);
  std::string http_line = http_toml;
  std::replace(http_line.begin(), http_line.end(), '\n', ',');
  if (o.event_loops < 0) http_line += " (event_loops not set: the daemon's default)";
  fmt::print("trustgated: {} (pid {}, port {}): [http] {}; {} users, 100 schools\n", g_trustgated,
             daemon->pid(), daemon->port(), http_line, o.users);
  fmt::print(
      "wrk: {} thread(s), --timeout {}s; paced and held-connection load from this "
      "process (epoll); {} s per run\n",
      o.wrk_threads, o.timeout, o.seconds);

  Bench bench(o, {"nginx", nginx.port(), nginx.pid(), "/"},
              {"trustgated", daemon->port(), daemon->pid(), "/healthz"},
              write_lines(work / "bench-users.txt", setup.users),
              write_lines(work / "bench-explain.txt", explain_lines),
              write_lines(work / "bench-pairs.txt", pair_lines), setup.users);
  if (o.only.contains("closed")) bench.closed_loop();
  if (o.only.contains("pairs")) bench.pairs();
  if (o.only.contains("paced")) bench.paced();
  if (o.only.contains("held")) bench.held();

  print_table(bench.rows());
  print_targets(bench.rows(), o);
  const std::string stamp = now_stamp();
  if (!o.csv.empty()) {
    if (write_csv(o.csv, stamp, bench.rows())) {
      fmt::print("\nCSV: {}\n", fs::absolute(o.csv).string());
    } else {
      fmt::print(stderr, "\ncannot write {}\n", o.csv);
    }
  }
  const bool daemon_alive = daemon->running(), nginx_alive = nginx.running();
  if (!daemon_alive) fmt::print("warning: trustgated exited during the run:\n{}\n", daemon->log());
  if (!nginx_alive) fmt::print("warning: nginx exited during the run:\n{}\n", nginx.log());
  daemon.reset();  // stops it by PID
  nginx.stop();
  fmt::print("load after: {}; {:.0f} s in all\n", trim(run_capture("uptime")),
             std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return daemon_alive && nginx_alive ? 0 : 1;
}
