#include "bench/lib/wrk.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

namespace trustgate::bench {
namespace fs = std::filesystem;

std::string run_capture(const std::string& cmd) {
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

namespace {

std::string lua_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// The caller's script, then a done() that calls the script's own and prints one line of figures.
std::string wrapper_script(const std::string& script) {
  std::string lua;
  if (!script.empty()) lua += "dofile(" + lua_string(fs::absolute(script).string()) + ")\n";
  lua += R"(local script_done = done
function done(summary, latency, requests)
  if script_done then script_done(summary, latency, requests) end
  local e = summary.errors
  io.write(string.format("tg-wrk: requests=%d duration_us=%d p50_us=%d p99_us=%d p999_us=%d " ..
                         "max_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
                         summary.requests, summary.duration, latency:percentile(50),
                         latency:percentile(99), latency:percentile(99.9), latency.max,
                         e.connect, e.read, e.write, e.status, e.timeout))
end
)";
  return lua;
}

}  // namespace

std::string WrkResult::errors() const {
  std::string out;
  if (non_2xx > 0) out += fmt::format("non-2xx {}", non_2xx);
  if (socket_errors() > 0) {
    if (!out.empty()) out += "; ";
    out += fmt::format("socket errors: connect {}, read {}, write {}, timeout {}", connect_errors,
                       read_errors, write_errors, timeouts);
  }
  return out;
}

std::optional<std::string> WrkResult::script_line(std::string_view prefix) const {
  const std::string key = std::string(prefix) + ": ";
  for (std::size_t at = 0; (at = output.find(key, at)) != std::string::npos; at += key.size()) {
    if (at != 0 && output[at - 1] != '\n') continue;
    const auto end = output.find('\n', at);
    return output.substr(at + key.size(), end == std::string::npos ? end : end - at - key.size());
  }
  return std::nullopt;
}

long counter(const std::string& line, std::string_view key) {
  std::smatch m;
  if (std::regex_search(line, m, std::regex("(^|\\s)" + std::string(key) + "=(-?\\d+)"))) {
    return std::stol(m[2]);
  }
  return -1;
}

WrkResult run_wrk(const WrkRun& run) {
  std::string tmpl = (fs::temp_directory_path() / "tg-wrk-XXXXXX.lua").string();
  const int fd = ::mkstemps(tmpl.data(), 4);
  WrkResult r;
  if (fd < 0) {
    r.output = "cannot create a temp file for the wrk script";
    return r;
  }
  ::close(fd);
  std::ofstream(tmpl) << wrapper_script(run.script);
  std::string cmd = fmt::format("wrk -t{} -c{} -d{}s --timeout {}s --latency -s {} {}", run.threads,
                                run.connections, run.seconds, run.timeout_seconds,
                                shell_quote(tmpl), shell_quote(run.url));
  if (!run.script_args.empty()) {
    cmd += " --";
    for (const auto& a : run.script_args) cmd += " " + shell_quote(a);
  }
  r.output = run_capture(cmd + " 2>&1");
  std::error_code ec;
  fs::remove(tmpl, ec);
  const auto line = r.script_line("tg-wrk");
  if (!line) return r;
  auto get = [&](std::string_view key) { return static_cast<double>(counter(*line, key)); };
  r.ran = true;
  r.requests = get("requests");
  r.seconds = get("duration_us") / 1e6;
  r.per_second = r.seconds > 0 ? r.requests / r.seconds : 0;
  r.p50_ms = get("p50_us") / 1000;
  r.p99_ms = get("p99_us") / 1000;
  r.p999_ms = get("p999_us") / 1000;
  r.max_ms = get("max_us") / 1000;
  r.connect_errors = counter(*line, "connect");
  r.read_errors = counter(*line, "read");
  r.write_errors = counter(*line, "write");
  r.non_2xx = counter(*line, "status");
  r.timeouts = counter(*line, "timeout");
  return r;
}

}  // namespace trustgate::bench
