#include "bench/lib/held_connections.h"

#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <vector>

#include "bench/lib/raw_http.h"

namespace trustgate::bench {
namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

std::string HeldStats::summary() const {
  return fmt::format(
      "{} idle open ({} connected, {} answered, {} closed by the server, {} failed to connect); "
      "{} slowloris open ({} closed by the server and opened again, {} bytes sent)",
      idle_open, idle_connected, idle_answered, idle_closed, idle_failed, slow_open, slow_closed,
      slow_bytes);
}

struct HeldConnections::State {
  HeldLoad load;
  std::atomic<bool> stop{false};
  mutable std::mutex mutex;
  HeldStats stats;  // under mutex
  bool set_up = false;

  struct Conn {
    int fd = -1;
    bool slow = false;
    bool connecting = true;
    bool answered = false;
    std::size_t sent = 0;  // slowloris: bytes of this connection's head sent
    Clock::time_point next_byte{};
    ResponseReader reader;
  };
  std::vector<Conn> conns;
  int epoll = -1;

  void watch(std::size_t i, bool out, int op) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0u);
    ev.data.u64 = i;
    ::epoll_ctl(epoll, op, conns[i].fd, &ev);
  }

  bool open(std::size_t i) {
    Conn& c = conns[i];
    c.fd = connect_loopback_nonblocking(load.port);
    c.connecting = true;
    c.answered = false;
    c.sent = 0;
    c.reader.clear();
    if (c.fd < 0) return false;
    watch(i, true, EPOLL_CTL_ADD);
    return true;
  }

  void close_conn(std::size_t i) {
    if (conns[i].fd >= 0) ::close(conns[i].fd);
    conns[i].fd = -1;
  }

  // The server closed (or reset, or answered) connection i.
  void lost(std::size_t i, Clock::time_point now) {
    Conn& c = conns[i];
    const bool was_connected = !c.connecting;
    close_conn(i);
    std::lock_guard lock(mutex);
    if (c.slow) {
      if (was_connected) --stats.slow_open;
      ++stats.slow_closed;
      if (!stop && open(i)) c.next_byte = now;  // an attacker comes straight back
    } else if (was_connected) {
      --stats.idle_open;
      ++stats.idle_closed;
    } else {
      ++stats.idle_failed;
    }
  }

  void handle(std::size_t i, std::uint32_t events, Clock::time_point now) {
    Conn& c = conns[i];
    if (c.fd < 0) return;
    if (c.connecting) {
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      if (connect_error(c.fd) != 0) {
        lost(i, now);
        return;
      }
      c.connecting = false;
      watch(i, false, EPOLL_CTL_MOD);
      std::lock_guard lock(mutex);
      if (c.slow) {
        ++stats.slow_open;
      } else {
        ++stats.idle_connected;
        ++stats.idle_open;
        // A small request: one send() takes it whole into an empty socket buffer.
        if (::send(c.fd, load.idle_request.data(), load.idle_request.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(load.idle_request.size())) {
          --stats.idle_open;
          ++stats.idle_closed;
          close_conn(i);
        }
      }
      return;
    }
    if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))) return;
    char buf[4096];
    while (true) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0 || c.slow) {  // closed or reset; a slowloris connection answered (408)
        lost(i, now);
        return;
      }
      if (!c.answered &&
          c.reader.feed(buf, static_cast<std::size_t>(n)) == ResponseReader::State::kComplete) {
        c.answered = true;
        std::lock_guard lock(mutex);
        ++stats.idle_answered;
      }
    }
  }

  void dribble(Clock::time_point now) {
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(load.slow_interval_seconds));
    long bytes = 0;
    for (std::size_t i = 0; i < conns.size(); ++i) {
      Conn& c = conns[i];
      if (!c.slow || c.fd < 0 || c.connecting || c.next_byte > now) continue;
      const char byte = c.sent < load.slow_head.size() ? load.slow_head[c.sent] : 'a';
      if (::send(c.fd, &byte, 1, MSG_NOSIGNAL) == 1) {
        ++c.sent;
        ++bytes;
      }
      c.next_byte += interval;
      if (c.next_byte < now) c.next_byte = now + interval;
    }
    if (bytes > 0) {
      std::lock_guard lock(mutex);
      stats.slow_bytes += bytes;
    }
  }

  void run() {
    epoll = ::epoll_create1(EPOLL_CLOEXEC);
    const int total = load.idle + load.slowloris;
    conns.resize(static_cast<std::size_t>(total));
    const auto start = Clock::now();
    // The idle connections first (the clients a server already has), then the slowloris ones.
    auto open_slowloris = [&](Clock::time_point now) {
      for (int s = 0; s < load.slowloris; ++s) {
        const std::size_t i = static_cast<std::size_t>(load.idle + s);
        conns[i].slow = true;
        if (!open(i)) {
          std::lock_guard lock(mutex);
          ++stats.slow_closed;
        }
        conns[i].next_byte =  // the first bytes staggered over one interval
            now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                      load.slow_interval_seconds * s / std::max(1, load.slowloris)));
      }
    };
    bool slow_started = false;
    int opened = 0;
    epoll_event events[512];
    while (!stop) {
      // Idle connections a batch at a time: at most 256 connects in flight.
      int pending = 0;
      for (int k = 0; k < opened; ++k) {
        const auto& c = conns[static_cast<std::size_t>(k)];
        if (c.fd >= 0 && c.connecting) ++pending;
      }
      while (opened < load.idle && pending < 256) {
        if (!open(static_cast<std::size_t>(opened))) {
          std::lock_guard lock(mutex);
          ++stats.idle_failed;
        } else {
          ++pending;
        }
        ++opened;
      }
      if (!slow_started && opened == load.idle && pending == 0) {
        open_slowloris(Clock::now());
        slow_started = true;
      }
      const int n = ::epoll_wait(epoll, events, 512, 10);
      const auto now = Clock::now();
      for (int e = 0; e < n; ++e)
        handle(static_cast<std::size_t>(events[e].data.u64), events[e].events, now);
      dribble(now);
      std::lock_guard lock(mutex);
      if (!set_up) {
        const bool idle_done =
            opened == load.idle &&
            stats.idle_answered + stats.idle_failed + stats.idle_closed >= load.idle;
        const bool slow_done = stats.slow_open >= load.slowloris;
        const double waited = std::chrono::duration<double>(now - start).count();
        if ((idle_done && slow_done) || waited >= load.answer_wait_seconds) {
          stats.setup_seconds = waited;
          set_up = true;
        }
      }
    }
    for (std::size_t i = 0; i < conns.size(); ++i) close_conn(i);
    ::close(epoll);
  }
};

HeldConnections::HeldConnections(HeldLoad load) : state_(std::make_unique<State>()) {
  state_->load = std::move(load);
  thread_ = std::thread([s = state_.get()] { s->run(); });
  while (true) {
    {
      std::lock_guard lock(state_->mutex);
      if (state_->set_up) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

HeldConnections::~HeldConnections() {
  state_->stop = true;
  thread_.join();
}

HeldStats HeldConnections::stats() const {
  std::lock_guard lock(state_->mutex);
  return state_->stats;
}

}  // namespace trustgate::bench
