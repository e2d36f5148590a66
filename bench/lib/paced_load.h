#pragma once
// An open-loop (paced) load generator: requests at a fixed total rate over N keep-alive
// connections, each connection on its own schedule (request k of connection c is due at
// start + (k + c/N) * N/rate), so the load is even. Latency counts from each request's scheduled
// start, not from when it was sent: an answer that comes late delays the connection's next
// request, and that delay is counted too (no coordinated omission). wrk has no fixed-rate mode.
//
// The connections are non-blocking sockets on epoll, with a timerfd for the schedule, on one
// thread or a few (each with its share of the connections), so the generator costs the shared
// cores little: a send() and a recv() or two per request. A connection that fails, times out
// or is closed by the server is reconnected at its next due time. Every scheduled request
// gets a latency: answered ones their own; failed ones the time until the failure; those still
// unanswered when the run ends (its schedule plus one timeout) the time until then. The last
// two are lower bounds and are counted apart.
#include <string>
#include <vector>

namespace trustgate::bench {

struct PacedLoad {
  int port = 0;  // 127.0.0.1
  int connections = 4;
  double rate = 1000;                 // requests per second over all connections
  double seconds = 10;                // the schedule's length
  double timeout_seconds = 10;        // from a request's start (connect or send) to its answer
  std::vector<std::string> requests;  // whole requests (raw_http.h get_request), taken in turn
  int threads = 1;
};

struct PacedResult {
  double target_rate = 0;
  double per_second = 0;  // answers per second, from the schedule's start to the last answer
  long scheduled = 0;     // requests due in the schedule
  long ok = 0;            // answered 2xx
  long non_2xx = 0;       // answered otherwise
  long errors = 0;        // connect failure, reset, closed or bad answer
  long timeouts = 0;
  long unfinished = 0;  // not answered (or not even sent) when the run ended
  long reconnects = 0;  // connections opened again after a failure or a close by the server
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;

  // "target 20000 req/s: 200000 scheduled, 199990 ok, ..." (the non-zero counters).
  std::string summary() const;
};

PacedResult run_paced(const PacedLoad& load);

}  // namespace trustgate::bench
