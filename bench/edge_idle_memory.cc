// Benchmark: what idle keep-alive connections cost the real trustgated, plain and over TLS.
//
// Starts the daemon (a tiny LDIF directory; [http] max_connections raised to fit), reads its
// resident memory (VmRSS from /proc), opens N connections that each make one request (GET
// /healthz, answered) and then stay open and silent, reads VmRSS again, and prints the cost per
// connection. While they are held open, it times 2,000 requests, one after another, on fresh
// keep-alive connectionss (p50/p99/p99.9), and checks that the first and the last idle connection
// are still served. Baseline in the same run: the daemon with no connection open.
// Then the same over TLS (an EC P-256 certificate made with the openssl tool in the temp folder).
//
// Usage: bench_edge_idle_memory [CONNECTIONS] [plain|tls|both]   (default 10000 both)
// The daemon binary is found next to this one (../daemon/trustgated) unless $TRUSTGATED names
// it. The harness file this needs (no GoogleTest) is compiled in, as in bench_api_wrk.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace {
std::string g_trustgated;  // the daemon binary, set in main before any use
}
#define TRUSTGATED_BIN g_trustgated
#include "tests/harness/daemon_process.cc"  // NOLINT: see the header comment

namespace {

namespace fs = std::filesystem;
using trustgate::testing::DaemonOptions;
using trustgate::testing::DaemonProcess;
using Clock = std::chrono::steady_clock;

constexpr char kLdif[] =
    "dn: dc=la,dc=example\nobjectClass: dcObject\nobjectClass: organization\ndc: la\no: LA\n\n"
    "dn: uid=alice,dc=la,dc=example\nobjectClass: inetOrgPerson\nuid: alice\ncn: Alice A\n"
    "sn: A\nentryUUID: 11111111-1111-1111-1111-111111111111\n\n"
    "dn: cn=staff,dc=la,dc=example\nobjectClass: groupOfNames\ncn: staff\n"
    "entryUUID: aaaaaaaa-0000-0000-0000-000000000001\nmember: uid=alice,dc=la,dc=example\n\n";
constexpr char kMapping[] = R"(
[[role]]
id = "staff"
name = "Staff"
permissions = ["mis.login.associated_institutions"]

[[institution]]
id = "100001"
name = "Alder Primary"
mis_url = "https://alder.example/mis/"

[[rule]]
id = "staff"
group_dn = "cn=staff,dc=la,dc=example"
roles = ["staff"]
institutions = ["100001"]
)";

long status_kib(pid_t pid, const std::string& key) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(key + ":")) return std::atol(line.c_str() + key.size() + 1);
  }
  return -1;
}

void raise_open_files() {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

// One client connection, plain or TLS, with blocking I/O.
class Client {
 public:
  Client(int port, SSL_CTX* tls) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (ok_ && tls) {
      ssl_ = SSL_new(tls);
      SSL_set_fd(ssl_, fd_);
      ok_ = SSL_connect(ssl_) == 1;
    }
  }
  ~Client() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends GET /healthz and reads its answer; true when it was a 200.
  bool healthz() {
    if (!ok_) return false;
    static constexpr std::string_view kRequest = "GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n";
    if (io(true, const_cast<char*>(kRequest.data()), kRequest.size()) <= 0) return ok_ = false;
    std::string got;
    char buf[4096];
    while (true) {
      const auto end = got.find("\r\n\r\n");
      if (end != std::string::npos) {
        const auto cl = got.find("Content-Length: ");
        if (cl != std::string::npos && got.size() >= end + 4 + std::stoul(got.substr(cl + 16))) {
          return got.starts_with("HTTP/1.1 200 ");
        }
      }
      const int n = io(false, buf, sizeof buf);
      if (n <= 0) return ok_ = false;
      got.append(buf, static_cast<std::size_t>(n));
    }
  }
  bool ok() const { return ok_; }

 private:
  int io(bool write, char* data, std::size_t n) {
    if (ssl_) {
      return write ? SSL_write(ssl_, data, static_cast<int>(n))
                   : SSL_read(ssl_, data, static_cast<int>(n));
    }
    return static_cast<int>(write ? ::send(fd_, data, n, MSG_NOSIGNAL) : ::recv(fd_, data, n, 0));
  }
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool ok_ = false;
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1)))];
}

bool run(const char* label, int connections, bool tls, const fs::path& pki) {
  DaemonOptions o;
  o.ldif = kLdif;
  o.mapping_toml = kMapping;
  o.http_toml = fmt::format("max_connections = {}\nidle_timeout = 3600\n", connections + 100);
  if (tls) {
    o.http_toml += fmt::format("tls_cert = \"{}\"\ntls_key = \"{}\"\n",
                               (pki / "server.pem").string(), (pki / "server.key").string());
  }
  DaemonProcess daemon(o);
  if (!(tls ? daemon.wait_listening() : daemon.wait_ready())) {
    fmt::print(stderr, "trustgated did not start:\n{}\n", daemon.log());
    return false;
  }
  SSL_CTX* ctx = nullptr;
  if (tls) {
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // a benchmark of the server's memory
  }
  std::this_thread::sleep_for(std::chrono::seconds(tls ? 3 : 1));  // its first sync settles
  const long before = status_kib(daemon.pid(), "VmRSS");
  const auto open_start = Clock::now();
  std::vector<std::unique_ptr<Client>> idle;
  idle.reserve(static_cast<std::size_t>(connections));
  int failed = 0;
  for (int i = 0; i < connections; ++i) {
    idle.push_back(std::make_unique<Client>(daemon.port(), ctx));
    if (!idle.back()->healthz()) {
      if (failed++ == 0) fmt::print(stderr, "{}: connection {} was not answered\n", label, i);
    }
  }
  const double open_s = std::chrono::duration<double>(Clock::now() - open_start).count();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long after = status_kib(daemon.pid(), "VmRSS");
  const long peak = status_kib(daemon.pid(), "VmHWM");

  // 2,000 requests on 4 keep-alive connections (fewer than the 1,000 a connection may make).
  std::vector<double> ms;
  for (int c = 0; c < 4; ++c) {
    Client probe(daemon.port(), ctx);
    for (int i = 0; i < 500; ++i) {
      const auto t = Clock::now();
      if (!probe.healthz()) {
        ++failed;
        break;
      }
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
    }
  }
  const bool still = idle.front()->healthz() && idle.back()->healthz();
  fmt::print(
      "{:<6} {:>6} idle keep-alive connections (opened in {:.1f} s, {} failed): daemon VmRSS "
      "{:.1f} MiB -> {:.1f} MiB (+{:.1f} MiB, {:.1f} KiB per connection; VmHWM {:.1f} MiB); "
      "a request meanwhile p50 {:.3f} ms p99 {:.3f} ms p99.9 {:.3f} ms; first and last idle "
      "still served: {}\n",
      label, connections, open_s, failed, before / 1024.0, after / 1024.0,
      (after - before) / 1024.0, static_cast<double>(after - before) / connections, peak / 1024.0,
      percentile(ms, 0.5), percentile(ms, 0.99), percentile(ms, 0.999), still ? "yes" : "NO");
  idle.clear();
  if (ctx) SSL_CTX_free(ctx);
  return failed == 0 && still;
}

}  // namespace

int main(int argc, char** argv) {
  const int connections = argc > 1 ? std::atoi(argv[1]) : 10'000;
  const std::string which = argc > 2 ? argv[2] : "both";
  if (connections <= 0 || (which != "plain" && which != "tls" && which != "both")) {
    fmt::print(stderr, "usage: bench_edge_idle_memory [CONNECTIONS] [plain|tls|both]\n");
    return 2;
  }
  g_trustgated =
      std::getenv("TRUSTGATED")
          ? std::getenv("TRUSTGATED")
          : (fs::canonical("/proc/self/exe").parent_path() / "../daemon/trustgated").string();
  raise_open_files();
  std::string tmpl = (fs::temp_directory_path() / "tg-edge-mem-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return 1;
  const fs::path pki = tmpl;
  bool ok = true;
  if (which != "tls") ok &= run("plain", connections, false, pki);
  if (which != "plain") {
    const std::string cmd = fmt::format(
        "cd '{}' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout server.key "
        "-out server.pem >openssl.log 2>&1 && chmod 600 server.key",
        pki.string());
    if (std::system(cmd.c_str()) != 0) {
      fmt::print(stderr, "openssl could not make a certificate\n");
      ok = false;
    } else {
      ok &= run("tls", connections, true, pki);
    }
  }
  fs::remove_all(pki);
  return ok ? 0 : 1;
}
