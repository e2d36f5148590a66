#pragma once
// wrk (closed loop: each connection sends its next request when the last is answered) run as a
// child process. Its figures come from a done() hook appended to the run's Lua script (a wrapper
// that loads the caller's script, if any, with dofile): requests, duration, the latency
// percentiles (p50, p99, p99.9, max: --latency prints no p99.9) and the error counters. The whole
// output is kept for the lines a script prints itself ("check: ...", "handoff: ...").
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trustgate::bench {

// The command's stdout (run through /bin/sh).
std::string run_capture(const std::string& cmd);
std::string shell_quote(const std::string& s);

struct WrkRun {
  std::string url;  // e.g. http://127.0.0.1:8470/healthz (a script may replace the path)
  int threads = 2;
  int connections = 4;
  int seconds = 10;          // wrk takes whole seconds
  int timeout_seconds = 10;  // wrk --timeout: a request unanswered this long counts as one
  std::string script;        // a Lua script file, or "" for none
  std::vector<std::string> script_args;  // after "--"
};

struct WrkResult {
  bool ran = false;  // wrk printed its figures
  double requests = 0, seconds = 0, per_second = 0;
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  long connect_errors = 0, read_errors = 0, write_errors = 0, timeouts = 0;
  long non_2xx = 0;    // answers other than 2xx or 3xx
  std::string output;  // wrk's stdout and stderr

  long socket_errors() const { return connect_errors + read_errors + write_errors + timeouts; }
  // "non-2xx N; socket errors: connect N, read N, write N, timeout N" (each part only when
  // non-zero), or "".
  std::string errors() const;
  // The output line a script printed starting with "<prefix>: ", without the prefix.
  std::optional<std::string> script_line(std::string_view prefix) const;
};

// Runs wrk to completion (it stops after `seconds`, whatever the server does).
WrkResult run_wrk(const WrkRun& run);

// "key=N" in a line such as "handoff: issued=10 active=9": N, or -1.
long counter(const std::string& line, std::string_view key);

}  // namespace trustgate::bench
