#include "daemon/http/http_edge.h"

#include <sys/resource.h>

#include <csignal>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <asio/executor_work_guard.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/ssl/context.hpp>
#include <asio/thread_pool.hpp>

#include <algorithm>
#include <future>
#include <thread>

#include "daemon/http/connection_admission.h"
#include "daemon/http/event_loop.h"
#include "daemon/http/http_connection.h"
#include "daemon/http/tls_context.h"

namespace trustgate {

using http::EventLoop;
using Tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct HttpEdge::Impl {
  Impl(EdgeSettings s, EdgeHandler handler, EdgeRefusalObserver on_refusal)
      : settings(std::move(s)),
        workers(static_cast<std::size_t>(std::max(1, settings.workers))),
        shared{settings.limits, std::move(handler), std::move(on_refusal),
               http::ConnectionAdmission(settings.limits.max_connections), workers} {
    for (int i = 0; i < std::max(1, settings.event_loops); ++i) {
      loops.push_back(std::make_unique<EventLoop>(shared));
    }
    acceptor.emplace(loops.front()->io);
    accept_pause.emplace(loops.front()->io);
  }

  EdgeSettings settings;
  asio::thread_pool workers;
  http::EdgeShared shared;
  std::shared_ptr<asio::ssl::context> tls;
  std::vector<std::unique_ptr<EventLoop>> loops;
  std::optional<Tcp::acceptor> acceptor;  // on the first loop
  std::optional<asio::steady_timer> accept_pause;
  std::vector<std::thread> threads;
  std::size_t next_loop = 0;
  std::uint16_t port = 0;
  bool stopped = false;
  std::chrono::milliseconds sweep_interval{100};

  void accept() {
    EventLoop& target = *loops[next_loop];
    next_loop = (next_loop + 1) % loops.size();
    acceptor->async_accept(
        target.io, [this, &target](const std::error_code& ec, Tcp::socket socket) {
          if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
          if (ec) {
            // Out of file descriptors (or another passing failure): wait a moment rather than spin.
            spdlog::warn("http: accepting a connection failed: {}", ec.message());
            accept_pause->expires_after(std::chrono::milliseconds(100));
            accept_pause->async_wait([this](const std::error_code& e) {
              if (!e) accept();
            });
            return;
          }
          admit(target, std::move(socket));
          accept();
        });
  }

  void admit(EventLoop& target, Tcp::socket socket) {
    std::error_code ec;
    const Tcp::endpoint remote = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    asio::ip::address address = remote.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
      address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    std::string peer = address.to_string();
    const EdgeLimits& limits = settings.limits;
    const int cap =
        address.is_loopback() && !limits.cap_loopback ? 0 : limits.max_connections_per_client;
    std::optional<http::Refusal> refusal;
    switch (shared.admission.admit(peer, cap)) {
      case http::ConnectionAdmission::Verdict::kAdmitted:
        break;
      case http::ConnectionAdmission::Verdict::kOverPeerCap:
        spdlog::debug("http: refused a connection from {}: {} already open", peer, cap);
        refusal = http::Refusal{503, "too_many_connections",
                                fmt::format("at most {} connections per client address", cap)};
        break;
      case http::ConnectionAdmission::Verdict::kOverTotal:
        spdlog::debug("http: refused a connection from {}: {} open in all", peer,
                      limits.max_connections);
        refusal = http::Refusal{
            503, "too_many_connections",
            fmt::format("the server holds its maximum of {} connections", limits.max_connections)};
        break;
    }
    asio::post(target.io, [this, &target, socket = std::move(socket), peer = std::move(peer),
                           refusal = std::move(refusal)]() mutable {
      if (target.stopping) {
        if (!refusal) shared.admission.release(peer);
        return;
      }
      http::serve_connection(target, std::move(socket), tls.get(), std::move(peer),
                             std::move(refusal));
    });
  }

  void sweep(EventLoop& loop) {
    loop.sweep.expires_after(sweep_interval);
    loop.sweep.async_wait([this, &loop](const std::error_code& ec) {
      if (ec || loop.stopping) return;
      const auto now = Clock::now();
      // A connection may close itself (and leave the set) on its deadline: walk a copy.
      std::vector<std::shared_ptr<http::Connection>> all(loop.connections.begin(),
                                                         loop.connections.end());
      for (const auto& c : all) c->check_deadline(now);
      sweep(loop);
    });
  }

  // Runs `f` on `loop`'s thread and waits for it.
  template <typename F>
  void on_loop(EventLoop& loop, F f) {
    std::promise<void> done;
    asio::post(loop.io, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    on_loop(*loops.front(), [this] {
      std::error_code ec;
      acceptor->close(ec);
      accept_pause->cancel();
    });
    for (auto& loop : loops) {
      on_loop(*loop, [&loop] {
        loop->stopping = true;
        loop->sweep.cancel();
        std::vector<std::shared_ptr<http::Connection>> all(loop->connections.begin(),
                                                           loop->connections.end());
        for (const auto& c : all) c->abort();
      });
    }
    workers.join();  // the requests being handled finish; their answers go nowhere
    for (auto& loop : loops) loop->io.stop();
    for (auto& t : threads) t.join();
  }
};

namespace {

// Sockets for every connection: the soft limit of open files is raised to the hard one (as a
// server that holds thousands of connections must), and the connection cap kept below it.
int fit_connections_to_open_file_limit(int wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return wanted;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  constexpr rlim_t kReserve = 128;  // the store, the directories, logs
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > static_cast<rlim_t>(wanted) + kReserve) {
    return wanted;
  }
  const int fits = static_cast<int>(std::max<rlim_t>(limit.rlim_cur, 2 * kReserve) - kReserve);
  spdlog::warn("http: max_connections {} lowered to {}: the open file limit is {}", wanted, fits,
               static_cast<unsigned long long>(limit.rlim_cur));
  return fits;
}

}  // namespace

HttpEdge::HttpEdge(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpEdge::~HttpEdge() { stop(); }
std::uint16_t HttpEdge::port() const { return impl_->port; }
void HttpEdge::stop() {
  if (impl_) impl_->stop();
}

Result<std::unique_ptr<HttpEdge>> HttpEdge::start(EdgeSettings settings, EdgeHandler handler,
                                                  EdgeRefusalObserver on_refusal) {
  // A write to a connection the client has reset must fail, not kill the process: OpenSSL
  // writes to the socket without MSG_NOSIGNAL.
  std::signal(SIGPIPE, SIG_IGN);
  const std::string listen = fmt::format("{}:{}", settings.host, settings.port);
  std::error_code ec;
  const asio::ip::address host = asio::ip::make_address(settings.host, ec);
  if (ec) return fail("http.listen", "cannot listen on " + listen + ": not an IP address");
  if (settings.limits.max_connections > 0) {
    settings.limits.max_connections =
        fit_connections_to_open_file_limit(settings.limits.max_connections);
  }
  auto impl =
      std::make_unique<Impl>(std::move(settings), std::move(handler), std::move(on_refusal));
  if (impl->settings.tls) {
    auto tls = http::make_tls_context(*impl->settings.tls);
    if (!tls) return std::unexpected(tls.error());
    impl->tls = std::move(*tls);
  }
  const EdgeLimits& limits = impl->settings.limits;
  const auto shortest = std::min({limits.idle_timeout, limits.head_timeout, limits.body_timeout});
  impl->sweep_interval =
      std::clamp(shortest / 10, std::chrono::milliseconds(5), std::chrono::milliseconds(250));

  // SO_REUSEADDR (a restart may bind past connections left in TIME_WAIT), never SO_REUSEPORT,
  // which would let any process of the same user bind the same address beside this one and take
  // a share of its connections, Authorization headers included.
  Tcp::acceptor& acceptor = *impl->acceptor;
  const Tcp::endpoint endpoint(host, impl->settings.port);
  if (acceptor.open(endpoint.protocol(), ec); ec) {
    return fail("http.listen", "cannot listen on " + listen + ": " + ec.message());
  }
  acceptor.set_option(Tcp::acceptor::reuse_address(true), ec);
  if (acceptor.bind(endpoint, ec); ec) {
    if (ec == asio::error::address_in_use) {
      return fail("http.address_in_use",
                  "cannot listen on " + listen + ": the address is already in use");
    }
    return fail("http.listen", "cannot listen on " + listen + ": " + ec.message());
  }
  if (acceptor.listen(std::max(16, impl->settings.backlog), ec); ec) {
    return fail("http.listen", "cannot listen on " + listen + ": " + ec.message());
  }
  impl->port = acceptor.local_endpoint(ec).port();

  Impl* self = impl.get();
  self->accept();
  for (auto& loop : self->loops) {
    self->sweep(*loop);
    EventLoop* l = loop.get();
    self->threads.emplace_back([l] {
      auto guard = asio::make_work_guard(l->io);
      while (!l->io.stopped()) {
        try {
          l->io.run();
        } catch (const std::exception& e) {
          spdlog::error("http: event loop: {}", e.what());
        } catch (...) {
          spdlog::error("http: event loop: unexpected failure");
        }
      }
    });
  }
  return std::unique_ptr<HttpEdge>(new HttpEdge(std::move(impl)));
}

}  // namespace trustgate
