#include "bench/lib/paced_load.h"

#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <queue>
#include <thread>

#include "bench/lib/measure.h"
#include "bench/lib/raw_http.h"

namespace trustgate::bench {
namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

struct Tally {
  std::vector<double> latencies_ms;
  long ok = 0, non_2xx = 0, errors = 0, timeouts = 0, unfinished = 0, reconnects = 0;
  Clock::time_point last_answer{};
};

class PacedThread {
 public:
  PacedThread(const PacedLoad& load, std::vector<int> indexes, Clock::time_point start)
      : load_(load), start_(start) {
    interval_ = std::chrono::duration<double>(load.connections / load.rate);
    const long per_connection = static_cast<long>(load.rate * load.seconds / load.connections);
    for (int c : indexes) {
      Conn conn;
      conn.index = c;
      conn.count = per_connection;
      conns_.push_back(std::move(conn));
      if (per_connection > 0) ++active_;
    }
    tally_.latencies_ms.reserve(static_cast<std::size_t>(per_connection) * indexes.size());
  }

  Tally run() {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    timer_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kTimer;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, timer_, &ev);
    // Connect everything before the schedule starts; connection set-up is not a request's.
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      if (conns_[i].count > 0) {
        open(i, false);
        schedule(i);
      }
    }
    const auto last_due = start_ + interval_ * (load_.seconds * load_.rate / load_.connections);
    const auto deadline = std::chrono::time_point_cast<Clock::duration>(
        last_due + std::chrono::duration<double>(load_.timeout_seconds + 0.2));
    const auto timeout = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(load_.timeout_seconds));
    epoll_event events[256];
    auto last_check = Clock::now();
    while (active_ > 0) {
      auto now = Clock::now();
      if (now >= deadline) break;
      while (!heap_.empty() && heap_.top().first <= now) {
        const std::size_t i = heap_.top().second;
        heap_.pop();
        start_request(i, now);
      }
      if (now - last_check > std::chrono::milliseconds(5)) {  // timeouts
        last_check = now;
        for (std::size_t i = 0; i < conns_.size(); ++i) {
          Conn& c = conns_[i];
          if (c.in_flight && now - c.started > timeout) fail(i, now, true);
        }
      }
      arm(heap_.empty() ? deadline : std::min<Clock::time_point>(heap_.top().first, deadline));
      const int n = ::epoll_wait(epoll_, events, 256, 5);
      now = Clock::now();
      for (int e = 0; e < n; ++e) {
        if (events[e].data.u64 == kTimer) {
          std::uint64_t expirations;
          while (::read(timer_, &expirations, sizeof expirations) > 0) {
          }
          continue;
        }
        handle(static_cast<std::size_t>(events[e].data.u64), events[e].events, now);
      }
    }
    // The run is over: what is left never got its answer.
    const auto end = Clock::now();
    for (auto& c : conns_) {
      for (long k = c.k; k < c.count; ++k) {
        tally_.latencies_ms.push_back(ms_between(due(c, k), end));
        ++tally_.unfinished;
      }
      if (c.fd >= 0) ::close(c.fd);
      c.fd = -1;
    }
    ::close(timer_);
    ::close(epoll_);
    return std::move(tally_);
  }

 private:
  static constexpr std::uint64_t kTimer = ~0ull;

  struct Conn {
    int index = 0;
    long count = 0;  // requests this connection makes
    long k = 0;      // the next request (or the one in flight)
    int fd = -1;
    bool connecting = false;
    bool in_flight = false;  // request k started (connecting for it, sending or waiting)
    bool want_out = false;   // EPOLLOUT registered
    std::size_t sent = 0;
    Clock::time_point started{};
    ResponseReader reader;
  };

  Clock::time_point due(const Conn& c, long k) const {
    return start_ + std::chrono::duration_cast<Clock::duration>(
                        interval_ * (static_cast<double>(k) +
                                     static_cast<double>(c.index) / load_.connections));
  }
  const std::string& request(const Conn& c) const {
    return load_.requests[static_cast<std::size_t>(c.k * load_.connections + c.index) %
                          load_.requests.size()];
  }

  void schedule(std::size_t i) {
    Conn& c = conns_[i];
    if (c.k < c.count) {
      heap_.push({due(c, c.k), i});
    } else {
      if (c.fd >= 0) ::close(c.fd);
      c.fd = -1;
      --active_;
    }
  }

  void watch(std::size_t i, bool out, int op) {
    Conn& c = conns_[i];
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0u);
    ev.data.u64 = i;
    ::epoll_ctl(epoll_, op, c.fd, &ev);
    c.want_out = out;
  }

  bool open(std::size_t i, bool again) {
    Conn& c = conns_[i];
    if (again) ++tally_.reconnects;
    c.reader.clear();
    c.fd = connect_loopback_nonblocking(load_.port);
    if (c.fd < 0) return false;
    c.connecting = true;
    watch(i, true, EPOLL_CTL_ADD);
    return true;
  }

  void close_conn(std::size_t i) {
    Conn& c = conns_[i];
    if (c.fd >= 0) ::close(c.fd);  // also leaves the epoll set
    c.fd = -1;
    c.connecting = c.want_out = false;
  }

  void start_request(std::size_t i, Clock::time_point now) {
    Conn& c = conns_[i];
    c.in_flight = true;
    c.started = now;
    c.sent = 0;
    if (c.fd < 0 && !open(i, true)) {
      fail(i, now, false);
      return;
    }
    if (!c.connecting) send_some(i, now);
  }

  void send_some(std::size_t i, Clock::time_point now) {
    Conn& c = conns_[i];
    const std::string& r = request(c);
    while (c.sent < r.size()) {
      const ssize_t n = ::send(c.fd, r.data() + c.sent, r.size() - c.sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) {
        if (!c.want_out) watch(i, true, EPOLL_CTL_MOD);
        return;
      }
      if (n <= 0) {
        fail(i, now, false);
        return;
      }
      c.sent += static_cast<std::size_t>(n);
    }
    if (c.want_out) watch(i, false, EPOLL_CTL_MOD);
  }

  // Request k (if one is in flight) failed; the connection is closed and opened again when the
  // next request is due.
  void fail(std::size_t i, Clock::time_point now, bool timed_out) {
    Conn& c = conns_[i];
    close_conn(i);
    if (!c.in_flight) return;  // closed while idle: reconnect at the next due time
    c.in_flight = false;
    tally_.latencies_ms.push_back(ms_between(due(c, c.k), now));
    ++(timed_out ? tally_.timeouts : tally_.errors);
    ++c.k;
    schedule(i);
  }

  void handle(std::size_t i, std::uint32_t events, Clock::time_point now) {
    Conn& c = conns_[i];
    if (c.fd < 0) return;
    if (c.connecting) {
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      if (connect_error(c.fd) != 0) {
        fail(i, now, false);
        return;
      }
      c.connecting = false;
      watch(i, false, EPOLL_CTL_MOD);
      if (c.in_flight) send_some(i, now);
      return;
    }
    if ((events & EPOLLOUT) && c.in_flight) send_some(i, now);
    if (c.fd < 0 || !(events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))) return;
    char buf[16384];
    while (true) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0 || !c.in_flight) {  // closed, reset, or bytes nobody asked for
        fail(i, now, false);
        return;
      }
      const auto state = c.reader.feed(buf, static_cast<std::size_t>(n));
      if (state == ResponseReader::State::kBad) {
        fail(i, now, false);
        return;
      }
      if (state == ResponseReader::State::kIncomplete) continue;
      const int status = c.reader.status();
      const bool close_after = c.reader.close();
      c.reader.next();
      c.in_flight = false;
      tally_.latencies_ms.push_back(ms_between(due(c, c.k), now));
      ++(status >= 200 && status < 300 ? tally_.ok : tally_.non_2xx);
      tally_.last_answer = now;
      ++c.k;
      if (close_after) close_conn(i);
      schedule(i);
      if (c.fd < 0) return;
    }
  }

  void arm(Clock::time_point at) {
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
    itimerspec spec{};
    spec.it_value.tv_sec = std::max<long long>(0, ns / 1'000'000'000);
    spec.it_value.tv_nsec = std::max<long long>(1, ns % 1'000'000'000);
    ::timerfd_settime(timer_, TFD_TIMER_ABSTIME, &spec, nullptr);
  }

  const PacedLoad& load_;
  Clock::time_point start_;
  std::chrono::duration<double> interval_{};
  std::vector<Conn> conns_;
  using Due = std::pair<Clock::time_point, std::size_t>;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> heap_;
  long active_ = 0;  // connections with requests left
  int epoll_ = -1, timer_ = -1;
  Tally tally_;
};

}  // namespace

std::string PacedResult::summary() const {
  std::string out =
      fmt::format("target {:.0f} req/s: {} scheduled, {} ok", target_rate, scheduled, ok);
  for (const auto& [name, n] : {std::pair{"non-2xx", non_2xx},
                                {"errors", errors},
                                {"timeouts", timeouts},
                                {"unanswered at the end", unfinished},
                                {"reconnects", reconnects}}) {
    if (n > 0) out += fmt::format(", {} {}", n, name);
  }
  return out;
}

PacedResult run_paced(const PacedLoad& load) {
  PacedResult r;
  r.target_rate = load.rate;
  if (load.connections <= 0 || load.rate <= 0 || load.requests.empty()) return r;
  ::prctl(PR_SET_TIMERSLACK, 1UL);  // timers on time to the microsecond, not 50 us late
  const int threads = std::clamp(load.threads, 1, load.connections);
  std::vector<std::vector<int>> shares(static_cast<std::size_t>(threads));
  for (int c = 0; c < load.connections; ++c)
    shares[static_cast<std::size_t>(c % threads)].push_back(c);
  const auto start = Clock::now() + std::chrono::milliseconds(200);
  std::vector<Tally> tallies(shares.size());
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < shares.size(); ++t) {
    workers.emplace_back([&, t] {
      ::prctl(PR_SET_TIMERSLACK, 1UL);
      PacedThread thread(load, shares[t], start);
      tallies[t] = thread.run();
    });
  }
  for (auto& w : workers) w.join();
  std::vector<double> all;
  Clock::time_point last{};
  for (auto& t : tallies) {
    all.insert(all.end(), t.latencies_ms.begin(), t.latencies_ms.end());
    r.ok += t.ok;
    r.non_2xx += t.non_2xx;
    r.errors += t.errors;
    r.timeouts += t.timeouts;
    r.unfinished += t.unfinished;
    r.reconnects += t.reconnects;
    last = std::max(last, t.last_answer);
  }
  r.scheduled = static_cast<long>(all.size());
  const double elapsed = last > start ? std::chrono::duration<double>(last - start).count() : 0;
  r.per_second = elapsed > 0 ? static_cast<double>(r.ok + r.non_2xx) / elapsed : 0;
  std::sort(all.begin(), all.end());
  r.p50_ms = percentile_sorted(all, 0.50);
  r.p99_ms = percentile_sorted(all, 0.99);
  r.p999_ms = percentile_sorted(all, 0.999);
  r.max_ms = all.empty() ? 0 : all.back();
  return r;
}

}  // namespace trustgate::bench
