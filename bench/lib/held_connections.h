#pragma once
// Connections held open against a server while something else is measured, on a thread of
// their own (epoll). The idle ones are opened first (at most 256 connects in flight), then,
// once each has connected or failed, the slowloris ones:
// - idle keep-alive connections: each connects, sends one request, reads its answer, then stays
//   silent (a client's pooled connection between uses). One the server closes is not opened
//   again (a pool would reconnect only at its next use); it is counted.
// - slowloris connections: each sends the start of a request head one byte at a time, one byte
//   every `slow_interval_seconds` (the connections staggered over that interval), and never
//   finishes it. One the server closes (at its header deadline, say) is opened again at once,
//   as an attacker would, and counted.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace trustgate::bench {

struct HeldLoad {
  int port = 0;  // 127.0.0.1
  int idle = 2000;
  int slowloris = 200;
  std::string idle_request;  // one whole request (raw_http.h get_request)
  // The head's first bytes ("GET / HTTP/1.1\r\nHost: ...\r\nX-Slow: "); after them, 'a' bytes
  // forever (a header value that never ends).
  std::string slow_head;
  double slow_interval_seconds = 1.0;
  double answer_wait_seconds = 5;  // the constructor waits this long at most for idle answers
};

struct HeldStats {
  int idle_connected = 0;    // connects that completed
  int idle_answered = 0;     // answered their one request
  int idle_open = 0;         // connected and not closed by the server (answered or not)
  int idle_failed = 0;       // could not connect
  int idle_closed = 0;       // closed or reset by the server
  int slow_open = 0;         // slowloris connections connected right now
  long slow_closed = 0;      // closed by the server (each opened again)
  long slow_bytes = 0;       // bytes sent by all of them
  double setup_seconds = 0;  // the constructor's wait

  // "2000 idle (2000 answered, 0 closed by the server), 200 slowloris open (0 closed ...)"
  std::string summary() const;
};

class HeldConnections {
 public:
  // Opens the connections (idle ones a batch at a time) and returns once every idle one has its
  // answer or has failed, and every slowloris one is connected, or after answer_wait_seconds.
  explicit HeldConnections(HeldLoad load);
  ~HeldConnections();  // closes them all
  HeldConnections(const HeldConnections&) = delete;
  HeldConnections& operator=(const HeldConnections&) = delete;

  HeldStats stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::thread thread_;
};

}  // namespace trustgate::bench
