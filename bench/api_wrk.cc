// Benchmark: the HTTP API of the real trustgated on loopback, driven by wrk.
//
// A synthetic directory (default 10k users, 100 schools; bench/lib/synthetic_directory.h) is
// written as LDIF; the daemon syncs it at start-up. Then, each at two connection counts
// (wrk -c 64 -t 2: the most it serves; wrk -c 4 -t 2: a bounded load):
//   1. GET /healthz (baseline: the HTTP stack alone);
//   2. GET /v1/users/{id}/institutions with Basic auth, rotating users (bench/wrk/
//      users_institutions.lua): the read-only check on the in-memory snapshot;
//   3. issue + redeem pairs (bench/wrk/handoff.lua): POST /v1/handoffs as the site, then
//      POST /v1/handoffs/redeem as the ticket's school;
// then /healthz and the read check at a fixed 10k req/s over 4 paced keep-alive connections
// (plain wrk has no fixed-rate mode: bench/lib/paced_load.h; latency counts from each request's
// scheduled start);
// plus pairs from a C++ load generator (N threads, one keep-alive connection each on a plain
// blocking socket, issue then redeem, each answer checked), which also gives the latency of a
// whole pair and its own CPU per pair (it shares the cores with the daemon). Pairs run twice: with
// the state in the temp folder (SQLite fsyncs every commit to disk) and in /dev/shm (fsync costs
// nothing), which shows what fsync costs. Every figure is printed with its ratio to /healthz. The
// paced read check also prints the daemon's own (server-side) latency shares from /metrics.
//
// Usage: bench_api_wrk [USERS] [SECONDS] [all|reads|pairs]
// (reads: the wrk and paced read figures only; pairs: the pair figures only, disk and tmpfs.)
// The daemon binary is found next to this one (../daemon/trustgated) unless $TRUSTGATED names
// it; the Lua scripts next to this source (bench/wrk) unless $TRUSTGATE_WRK_SCRIPTS names them.
//
// The bench targets do not link the test harness library (it pulls in GoogleTest), so the
// harness file this needs, which needs no GoogleTest, is compiled in here.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {
std::string g_trustgated;  // the daemon binary, set in main before any use
}
#define TRUSTGATED_BIN g_trustgated
#include "tests/harness/daemon_process.cc"  // NOLINT: see the header comment

#include "bench/lib/api_setup.h"
#include "bench/lib/measure.h"
#include "bench/lib/paced_load.h"
#include "bench/lib/raw_http.h"
#include "bench/lib/wrk.h"

using namespace trustgate;
using namespace trustgate::bench;
using trustgate::testing::DaemonOptions;
using trustgate::testing::DaemonProcess;
namespace fs = std::filesystem;

namespace {

// A figure: throughput and latency.
struct Figure {
  std::string name;
  double count = 0;          // operations done (requests or pairs)
  double cpu_us_per_op = 0;  // daemon CPU time (user + system) per operation
  double per_second = 0;     // requests/s (wrk) or pairs/s (generator)
  double p50_ms = 0, p99_ms = 0;
  std::string unit = "req/s";
  std::string note;
};

// Runs `run` and sets the figure's daemon CPU per operation.
template <class Run>
Figure with_cpu(pid_t daemon, Run run) {
  const double before = process_cpu_us(daemon);
  Figure f = run();
  if (f.count > 0) f.cpu_us_per_op = (process_cpu_us(daemon) - before) / f.count;
  return f;
}

// Runs wrk (bench/lib/wrk.h): its throughput, p50, p99, errors and the script's own line.
Figure run_wrk(const std::string& name, int port, int threads, int connections, int seconds,
               const std::string& path, const std::string& script,
               const std::vector<std::string>& script_args) {
  WrkRun run;
  run.url = fmt::format("http://127.0.0.1:{}{}", port, path);
  run.threads = threads;
  run.connections = connections;
  run.seconds = seconds;
  run.timeout_seconds = 10;
  if (!script.empty()) run.script = (wrk_scripts_dir() / script).string();
  run.script_args = script_args;
  const WrkResult r = bench::run_wrk(run);
  Figure f;
  f.name = name;
  f.per_second = r.per_second;
  f.count = r.requests;
  f.p50_ms = r.p50_ms;
  f.p99_ms = r.p99_ms;
  if (const std::string errors = r.errors(); !errors.empty()) f.note += errors + " ";
  for (const char* prefix : {"check", "handoff"}) {
    if (const auto line = r.script_line(prefix)) f.note += fmt::format("{}: {}", prefix, *line);
  }
  if (f.per_second == 0) fmt::print(stderr, "wrk gave no figure for {}:\n{}\n", name, r.output);
  // handoff.lua: a pair is an active redeem; latencies stay per request.
  if (const auto line = r.script_line("handoff"); line && counter(*line, "active") >= 0) {
    f.note = fmt::format("{:.0f} req/s; latency per request; ", f.per_second) + f.note;
    f.count = static_cast<double>(counter(*line, "active"));
    f.per_second = f.count / seconds;
    f.unit = "pairs/s";
  }
  return f;
}

// GET `targets` in turn at a fixed total `rate` over `connections` keep-alive connections, each
// paced on a schedule (bench/lib/paced_load.h); latency counts from the scheduled start (no
// coordinated omission: a slow answer delays the next request and that delay is counted).
Figure paced_figure(const std::string& name, int port, int connections, double rate, int seconds,
                    const std::vector<std::string>& targets, const std::string& auth) {
  PacedLoad load;
  load.port = port;
  load.connections = connections;
  load.rate = rate;
  load.seconds = seconds;
  for (const auto& t : targets) load.requests.push_back(get_request(t, auth));
  const PacedResult r = run_paced(load);
  Figure f;
  f.name = name;
  f.count = static_cast<double>(r.scheduled);
  f.per_second = r.per_second;
  f.p50_ms = r.p50_ms;
  f.p99_ms = r.p99_ms;
  f.note = fmt::format("{}; p99.9 {:.3f} ms", r.summary(), r.p999_ms);
  return f;
}

// Server-side latency from the daemon's own histogram (time in the request handler, from the
// parsed request to the sent response): per `le` bound, how many `endpoint` requests so far.
std::map<std::string, double> server_histogram(int port, const std::string& endpoint) {
  std::map<std::string, double> out;
  const auto reply = testing::http_call(port, "GET", "/metrics", "");
  std::istringstream lines(reply.body);
  const std::string prefix =
      "trustgate_http_request_duration_seconds_bucket{method=\"GET\",endpoint=\"" + endpoint +
      "\",le=\"";
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(prefix)) continue;
    const auto le_end = line.find('"', prefix.size());
    const auto space = line.rfind(' ');
    if (le_end == std::string::npos || space == std::string::npos) continue;
    out[line.substr(prefix.size(), le_end - prefix.size())] = std::stod(line.substr(space + 1));
  }
  return out;
}

// "server-side: 97.1% <= 0.25 ms, 99.6% <= 0.5 ms, 99.9% <= 1 ms" between two histograms.
std::string server_share(const std::map<std::string, double>& before,
                         const std::map<std::string, double>& after) {
  auto delta = [&](const std::string& le) {
    auto a = after.find(le);
    auto b = before.find(le);
    return (a == after.end() ? 0 : a->second) - (b == before.end() ? 0 : b->second);
  };
  const double total = delta("+Inf");
  if (total <= 0) return "";
  std::string out = "; server-side:";
  for (const char* le : {"0.00025", "0.0005", "0.001", "0.0025"})
    out += fmt::format(" {:.2f}% <= {} ms,", 100.0 * delta(le) / total, std::stod(le) * 1000);
  out.pop_back();
  return out;
}

// A blocking HTTP/1.1 client on one keep-alive connection, for the pair generator: it leaves
// more of the shared cores to the daemon than Poco's HTTPClientSession (no streams, no header
// objects: one send() and usually one recv() a request). It reads what the daemon sends:
// Content-Length bodies, and "Connection: Close" after the last request a connection may make.
class RawHttp {
 public:
  explicit RawHttp(int port) : port_(port) {}
  ~RawHttp() { disconnect(); }
  RawHttp(const RawHttp&) = delete;
  RawHttp& operator=(const RawHttp&) = delete;

  // POSTs `body` (JSON) and returns the status with the body in `reply`; 0 when the connection
  // failed (it is then closed, and the next call reconnects).
  int post(std::string_view target, std::string_view auth, std::string_view body,
           std::string& reply) {
    if (fd_ < 0 && !connect()) return 0;
    out_.clear();
    out_.append("POST ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ");
    out_.append(auth).append("\r\nContent-Type: application/json\r\nContent-Length: ");
    out_.append(std::to_string(body.size())).append("\r\n\r\n").append(body);
    for (std::size_t sent = 0; sent < out_.size();) {
      const ssize_t n = ::send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return broken();
      sent += static_cast<std::size_t>(n);
    }
    in_.clear();
    std::size_t head_end;
    while ((head_end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return broken();
    }
    const std::string_view head(in_.data(), head_end);
    if (!head.starts_with("HTTP/1.1 ") || head.size() < 12) return broken();
    const int status = std::atoi(in_.c_str() + 9);
    constexpr std::string_view kLength = "\r\nContent-Length: ";
    const auto at = head.find(kLength);
    if (at == std::string_view::npos) return broken();
    const std::size_t length = std::strtoul(in_.c_str() + at + kLength.size(), nullptr, 10);
    // Poco says "Connection: Close" after the last request a connection may make.
    constexpr std::string_view kConnection = "\r\nConnection: ";
    const auto conn = head.find(kConnection);
    const bool close_after =
        conn != std::string_view::npos && (head.substr(conn + kConnection.size(), 5) == "Close" ||
                                           head.substr(conn + kConnection.size(), 5) == "close");
    while (in_.size() < head_end + 4 + length) {
      if (!fill()) return broken();
    }
    reply.assign(in_, head_end + 4, length);
    if (close_after) disconnect();
    return status;
  }

 private:
  bool connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      disconnect();
      return false;
    }
    return true;
  }
  void disconnect() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int broken() {
    disconnect();
    return 0;
  }
  bool fill() {
    char buf[16384];
    ssize_t n;
    do {
      n = ::recv(fd_, buf, sizeof buf, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    in_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int port_;
  int fd_ = -1;
  std::string out_, in_;
};

// N threads, each with one keep-alive connection: issue as the site, redeem as the school. A
// pair counts only when the issue answered 201 with a ticket and the redeem 200 active.
Figure run_pairs(const std::string& name, int port, int threads, int seconds,
                 const std::vector<HandoffPair>& plan) {
  const std::string site = basic_auth(kBenchSiteId, kBenchSiteSecret);
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> latencies(threads);
  std::vector<long> failures(threads, 0);
  std::vector<std::thread> workers;
  const double generator_before = process_cpu_us(::getpid());
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      RawHttp http(port);
      auto post = [&](const std::string& target, const std::string& auth, const std::string& body,
                      std::string& reply) { return http.post(target, auth, body, reply); };
      // The ticket is found by a plain search: a regex here cost the shared cores ~20 us a pair.
      constexpr std::string_view kTicketKey = "\"ticket\":\"";
      std::size_t i = static_cast<std::size_t>(t) * 7919;
      std::string reply;
      while (!stop.load(std::memory_order_relaxed)) {
        const HandoffPair& p = plan[i++ % plan.size()];
        const auto t0 = std::chrono::steady_clock::now();
        try {
          const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
          if (post("/v1/handoffs", site,
                   fmt::format(R"({{"user":"{}","institution":"{}","mfa":true,"auth_time":{}}})",
                               p.user, p.inst, now - 5),
                   reply) != 201) {
            ++failures[t];
            continue;
          }
          const auto at = reply.find(kTicketKey);
          const auto from = at == std::string::npos ? at : at + kTicketKey.size();
          const auto to = from == std::string::npos ? from : reply.find('"', from);
          if (to == std::string::npos) {
            ++failures[t];
            continue;
          }
          const std::string body = R"({"ticket":")" + reply.substr(from, to - from) + R"("})";
          if (post("/v1/handoffs/redeem", p.school_auth, body, reply) != 200 ||
              reply.find("\"active\":true") == std::string::npos) {
            ++failures[t];
            continue;
          }
          latencies[t].push_back(
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                  .count());
        } catch (const std::exception&) {
          ++failures[t];
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<double> all;
  long failed = 0;
  for (int t = 0; t < threads; ++t) {
    all.insert(all.end(), latencies[t].begin(), latencies[t].end());
    failed += failures[t];
  }
  Figure f;
  f.name = name;
  f.unit = "pairs/s";
  f.count = static_cast<double>(all.size());
  f.per_second = static_cast<double>(all.size()) / elapsed;
  f.p50_ms = percentile(all, 0.50);
  f.p99_ms = percentile(all, 0.99);
  f.note = fmt::format("{} pairs, {} failed; generator CPU {:.0f} us/pair", all.size(), failed,
                       all.empty() ? 0.0
                                   : (process_cpu_us(::getpid()) - generator_before) /
                                         static_cast<double>(all.size()));
  return f;
}

// Server threads: the most keep-alive connections of any figure (a connection holds a server
// thread while it is open). Pairs need concurrency for group commit to batch.
constexpr int kServerThreads = 64;
constexpr int kPairConnections[] = {4, 8, 32, 64};

void print(const Figure& f, const Figure& base) {
  fmt::print(
      "{:<44} {:>7.0f} {:<7} p50 {:>7.3f} ms  p99 {:>8.3f} ms  {:>5.1f}% of base  "
      "daemon CPU {:>4.0f} us/op  {}\n",
      f.name, f.per_second, f.unit, f.p50_ms, f.p99_ms,
      base.per_second > 0 ? 100.0 * f.per_second / base.per_second : 0.0, f.cpu_us_per_op, f.note);
}

std::unique_ptr<DaemonProcess> start_daemon(const DaemonOptions& o) {
  auto d = std::make_unique<DaemonProcess>(o);
  if (!d->wait_ready(std::chrono::seconds(600))) {
    fmt::print(stderr, "trustgated did not become ready:\n{}\n", d->log());
    return nullptr;
  }
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t users = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10'000;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 10;
  const std::string only = argc > 3 ? argv[3] : "all";
  if (only != "all" && only != "reads" && only != "pairs") {
    fmt::print(stderr, "usage: bench_api_wrk [USERS] [SECONDS] [all|reads|pairs]\n");
    return 2;
  }
  const bool reads = only != "pairs", pairs = only != "reads";
  g_trustgated = trustgated_binary();
  if (::access(g_trustgated.c_str(), X_OK) != 0) {
    fmt::print(stderr, "no trustgated at {} (set $TRUSTGATED)\n", g_trustgated);
    return 1;
  }
  if (run_capture("wrk --version 2>&1").find("wrk") == std::string::npos) {
    fmt::print(stderr, "wrk is not installed\n");
    return 1;
  }
  ApiSetup setup = make_api_setup(users);
  setup.options.http_toml = fmt::format("threads = {}", kServerThreads);
  fmt::print("directory: {} users, 100 schools; load before: {}", users, run_capture("uptime"));

  auto daemon = start_daemon(setup.options);
  if (!daemon) return 1;
  const int port = daemon->port();
  if (!confirm_plan(port, setup.plan)) {
    fmt::print(stderr, "no (user, school) pair is allowed; check the synthetic directory\n");
    return 1;
  }
  const fs::path work = daemon->dir();
  const std::string users_file = write_lines(work / "bench-users.txt", setup.users);
  std::vector<std::string> pair_lines;
  for (const auto& p : setup.plan)
    pair_lines.push_back(p.user + " " + p.inst + " " + p.school_auth);
  const std::string pairs_file = write_lines(work / "bench-pairs.txt", pair_lines);
  const std::string site = basic_auth(kBenchSiteId, kBenchSiteSecret);

  fmt::print("{} s per run; wrk on loopback, 2 wrk threads; daemon [http] threads = {}\n\n",
             seconds, kServerThreads);
  const pid_t pid = daemon->pid();
  // wrk -c 4: fewer connections than server threads; wrk -c 64: one per server thread (a
  // keep-alive connection holds a server thread; more connections would wait).
  Figure healthz_c4 = with_cpu(pid, [&] {  // the base of the pair figures
    return run_wrk("GET /healthz (wrk -c4)", port, 2, 4, seconds, "/healthz", "", {});
  });
  print(healthz_c4, healthz_c4);
  for (const int c : {4, 64}) {
    if (!reads) break;
    const Figure base = c == 4 ? healthz_c4 : with_cpu(pid, [&] {
      return run_wrk(fmt::format("GET /healthz (wrk -c{})", c), port, 2, c, seconds, "/healthz", "",
                     {});
    });
    if (c != 4) print(base, base);
    print(with_cpu(pid,
                   [&] {
                     return run_wrk(fmt::format("GET /v1/users/{{id}}/institutions (wrk -c{})", c),
                                    port, 2, c, seconds, "", "users_institutions.lua",
                                    {users_file, site});
                   }),
          base);
    print(with_cpu(pid,
                   [&] {
                     return run_wrk(fmt::format("issue+redeem (wrk -c{}, handoff.lua)", c), port, 2,
                                    c, seconds, "", "handoff.lua", {pairs_file, site});
                   }),
          base);
  }
  if (reads) {
    const Figure paced_base = with_cpu(pid, [&] {
      return paced_figure("GET /healthz, paced 10k/s, 4 conns", port, 4, 10'000, seconds,
                          {"/healthz"}, "");
    });
    print(paced_base, paced_base);
    std::vector<std::string> targets;
    for (const auto& u : setup.users) targets.push_back("/v1/users/" + u + "/institutions");
    const auto hist_before = server_histogram(port, "/v1/users/{id}/institutions");
    Figure paced = with_cpu(pid, [&] {
      return paced_figure("GET /v1/users/{id}/institutions, paced 10k/s", port, 4, 10'000, seconds,
                          targets, site);
    });
    paced.note += server_share(hist_before, server_histogram(port, "/v1/users/{id}/institutions"));
    print(paced, paced_base);
  }
  for (const int conns : kPairConnections) {
    if (!pairs) break;
    print(with_cpu(pid,
                   [&] {
                     return run_pairs(fmt::format("issue+redeem pairs, {} conns, disk", conns),
                                      port, conns, seconds, setup.plan);
                   }),
          healthz_c4);
  }
  daemon.reset();

  // The same pairs with the state on tmpfs, where fsync costs nothing.
  if (pairs && fs::is_directory("/dev/shm")) {
    ::setenv("TMPDIR", "/dev/shm", 1);
    auto shm = start_daemon(setup.options);
    if (!shm) return 1;
    const pid_t shm_pid = shm->pid();
    const Figure base = with_cpu(shm_pid, [&] {
      return run_wrk("GET /healthz (wrk -c4, state on tmpfs)", shm->port(), 2, 4, seconds,
                     "/healthz", "", {});
    });
    print(base, base);
    for (const int conns : kPairConnections) {
      print(with_cpu(shm_pid,
                     [&] {
                       return run_pairs(fmt::format("issue+redeem pairs, {} conns, tmpfs", conns),
                                        shm->port(), conns, seconds, setup.plan);
                     }),
            base);
    }
  }
  fmt::print("\nload after: {}", run_capture("uptime"));
  return 0;
}
