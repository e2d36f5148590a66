#include "bench/lib/nginx_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "bench/lib/raw_http.h"
#include "bench/lib/wrk.h"
#include "tests/harness/process_stop.h"

namespace trustgate::bench {
namespace fs = std::filesystem;

namespace {
std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

NginxProcess::NginxProcess(NginxOptions options) : options_(std::move(options)) {
  std::string tmpl = (fs::temp_directory_path() / "tg-nginx-XXXXXX").string();
  dir_ = ::mkdtemp(tmpl.data());
  const auto d = [&](const char* name) { return (dir_ / name).string(); };
  std::string body;
  for (char c : options_.body) body += c == '\'' ? std::string("\\'") : std::string(1, c);
  const std::string config = fmt::format(
      R"(daemon off;
master_process off;
worker_processes 1;
pid {pid};
error_log {log} warn;
events {{
  worker_connections {wc};
}}
http {{
  access_log off;
  client_body_temp_path {t}/client_body;
  proxy_temp_path {t}/proxy;
  fastcgi_temp_path {t}/fastcgi;
  uwsgi_temp_path {t}/uwsgi;
  scgi_temp_path {t}/scgi;
  keepalive_timeout {kt}s;
  keepalive_requests {kr};
  client_header_timeout {ht}s;
  client_body_timeout {ht}s;
  server {{
    listen 127.0.0.1:{port} backlog={backlog};
    location / {{
      default_type application/json;
      return 200 '{body}';
    }}
  }}
}}
)",
      fmt::arg("pid", d("nginx.pid")), fmt::arg("log", d("error.log")),
      fmt::arg("wc", options_.worker_connections), fmt::arg("t", dir_.string()),
      fmt::arg("kt", options_.keepalive_timeout_seconds),
      fmt::arg("kr", options_.keepalive_requests),
      fmt::arg("ht", options_.client_header_timeout_seconds), fmt::arg("port", options_.port),
      fmt::arg("backlog", options_.backlog), fmt::arg("body", body));
  std::ofstream(dir_ / "nginx.conf") << config;
  // Everything the child needs is built before fork(): it only opens, dups and execs.
  const std::string out = d("nginx.out"), prefix = dir_.string() + "/", conf = d("nginx.conf"),
                    log = d("error.log");
  pid_ = ::fork();
  if (pid_ == 0) {
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execl(options_.binary.c_str(), options_.binary.c_str(), "-p", prefix.c_str(), "-c",
            conf.c_str(), "-e", log.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
}

NginxProcess::~NginxProcess() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

bool NginxProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

bool NginxProcess::wait_ready(std::chrono::seconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (!running()) return false;
    if (http_get(options_.port, "/", "", 1000).status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

int NginxProcess::stop(std::chrono::seconds grace) {
  return trustgate::testing::stop_process(pid_, grace);  // SIGTERM: nginx's fast shutdown
}

std::string NginxProcess::config() const { return read_file(dir_ / "nginx.conf"); }

std::string NginxProcess::log() const {
  return read_file(dir_ / "nginx.out") + read_file(dir_ / "error.log");
}

std::string NginxProcess::version() const {
  std::string v = run_capture(shell_quote(options_.binary) + " -v 2>&1");
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  return v;
}

}  // namespace trustgate::bench
