#pragma once
// One event loop of the edge (http_edge.h): an io_context run by one thread, the connections it
// serves, and what they share. Everything here but `io` itself is touched on that thread only.
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <unordered_set>
#include <vector>

#include "daemon/http/connection_admission.h"
#include "daemon/http/http_edge.h"

namespace trustgate::http {

// What every connection of an edge shares; outlives them all.
struct EdgeShared {
  EdgeLimits limits;
  EdgeHandler handler;
  EdgeRefusalObserver on_refusal;
  ConnectionAdmission admission;
  asio::thread_pool& workers;
};

class Connection {
 public:
  virtual ~Connection() = default;
  // Acts on an expired deadline (408, or close). Called by the loop's sweep.
  virtual void check_deadline(std::chrono::steady_clock::time_point now) = 0;
  virtual void abort() = 0;  // closes at once (the edge is stopping)
};

struct EventLoop {
  explicit EventLoop(EdgeShared& shared_) : io(1), shared(shared_), sweep(io) {}

  asio::io_context io;
  EdgeShared& shared;
  // Plain connections read into this, then keep only the bytes of an unfinished request: an
  // idle one holds no buffer.
  std::vector<char> read_buffer = std::vector<char>(64 * 1024);
  std::unordered_set<std::shared_ptr<Connection>> connections;
  asio::steady_timer sweep;  // checks every connection's deadline a few times a second
  bool stopping = false;
};

}  // namespace trustgate::http
