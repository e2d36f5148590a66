// The HTTP edge against hostile peers, over real TCP sockets on 127.0.0.1: who may listen on the
// port, request framing (smuggling), and slow or idle clients holding worker threads. The API
// behind it is the real router with the ticket store and audit log on a real SQLite file.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "daemon/api/api_json.h"
#include "daemon/api/api_test_fixtures.h"
#include "daemon/api/http_server.h"

namespace trustgate {
namespace {

using namespace api_testing;
using Clock = std::chrono::steady_clock;

// A plain TCP client socket (no Poco, so that nothing tidies up what the test sends).
class RawSocket {
 public:
  // Connects to 127.0.0.1:port, from `source` (another loopback address) when given.
  explicit RawSocket(std::uint16_t port, const char* source = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (source) {
      sockaddr_in from{};
      from.sin_family = AF_INET;
      ::inet_pton(AF_INET, source, &from.sin_addr);
      ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from);
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
  }
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return connected_; }
  // false once the peer has closed or reset the connection.
  bool send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  void shutdown_send() { ::shutdown(fd_, SHUT_WR); }
  // Reads until the peer closes (true) or `timeout` passes (false); appends what came to `out`.
  bool read_to_close(std::string& out, std::chrono::milliseconds timeout) {
    const auto until = Clock::now() + timeout;
    char buf[16384];
    while (true) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return true;  // closed (0) or reset (-1)
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  // Reads until `out` holds one whole response with a Content-Length body, the peer closes, or
  // `timeout` passes.
  void read_response(std::string& out, std::chrono::milliseconds timeout) {
    const auto until = Clock::now() + timeout;
    char buf[16384];
    while (Clock::now() < until) {
      const auto end = out.find("\r\n\r\n");
      if (end != std::string::npos) {
        const auto cl = out.find("Content-Length: ");
        if (cl != std::string::npos && cl < end &&
            out.size() >= end + 4 + std::stoul(out.substr(cl + 16))) {
          return;
        }
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// A socket bound to 127.0.0.1:port (0: any) with SO_REUSEADDR and SO_REUSEPORT, as a process
// trying to share or squat the daemon's port would make it; listening when `listen`. Closed on
// destruction. fd() is -1 (and error() the errno) when bind or listen failed.
class ReusePortSocket {
 public:
  ReusePortSocket(std::uint16_t port, bool listen) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        (listen && ::listen(fd, 16) != 0)) {
      error_ = errno;
      ::close(fd);
      return;
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    fd_ = fd;
  }
  ~ReusePortSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  ReusePortSocket(const ReusePortSocket&) = delete;
  ReusePortSocket& operator=(const ReusePortSocket&) = delete;
  int fd() const { return fd_; }
  int error() const { return error_; }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  int error_ = 0;
  std::uint16_t port_ = 0;
};

// One HTTP response parsed out of raw bytes.
struct RawResponse {
  int status = 0;
  std::string head;
  std::string body;
  std::string error_code() const {
    try {
      Poco::JSON::Parser p;
      auto obj = p.parse(body).extract<Poco::JSON::Object::Ptr>();
      return obj->getObject("error")->getValue<std::string>("code");
    } catch (...) {
      return "";
    }
  }
};

// Splits raw bytes into the responses they hold (each framed by Content-Length).
[[maybe_unused]] std::vector<RawResponse> responses_in(const std::string& raw) {
  std::vector<RawResponse> out;
  std::size_t at = 0;
  while (at < raw.size()) {
    const auto end = raw.find("\r\n\r\n", at);
    if (end == std::string::npos || raw.compare(at, 9, "HTTP/1.1 ") != 0) break;
    RawResponse r;
    r.head = raw.substr(at, end - at);
    r.status = std::stoi(r.head.substr(9, 3));
    std::size_t length = 0;
    if (const auto cl = r.head.find("Content-Length: "); cl != std::string::npos) {
      length = std::stoul(r.head.substr(cl + 16));
    }
    r.body = raw.substr(end + 4, length);
    out.push_back(r);
    at = end + 4 + length;
  }
  return out;
}

class HttpEdgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(*FileDb::open(dir_.file("tg.db")));
    tickets_ = std::move(*TicketStore::open(*db_));
    audit_ = std::move(*AuditLog::open(*db_, clock_));
    holder_.set(la_snapshot());
    handoffs_ = std::make_unique<HandoffService>(holder_, *tickets_, *audit_, clock_, random_);
    ctx_ = std::make_unique<ApiContext>(ApiContext{holder_, clients_, *handoffs_, *audit_, metrics_,
                                                   clock_, nullptr, [] { return Result<void>{}; }});
  }

  // Starts a server on 127.0.0.1 (a free port unless given).
  std::unique_ptr<ApiServer> start(HttpConfig http = {}) {
    if (http.listen == HttpConfig{}.listen) http.listen = "127.0.0.1:0";
    auto server = ApiServer::start(http, *ctx_);
    EXPECT_TRUE(server) << server.error().message;
    return server ? std::move(*server) : nullptr;
  }

  TempDir dir_;
  ManualClock clock_;
  SeededRandom random_{7};
  ClientRegistry clients_ = la_clients();
  SnapshotHolder holder_;
  Metrics metrics_{clock_};
  std::unique_ptr<FileDb> db_;
  std::unique_ptr<TicketStore> tickets_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<HandoffService> handoffs_;
  std::unique_ptr<ApiContext> ctx_;
};

// --- Who may listen on the port -------------------------------------------------------------

TEST_F(HttpEdgeTest, StoppedServerClosesItsListeningSocket) {
  auto server = start();
  ASSERT_TRUE(server);
  const std::uint16_t port = server->port();
  server->stop();
  // A listening socket left open would still complete the handshake (and queue the connection
  // for nobody); closed, the port refuses it.
  RawSocket probe(port);
  EXPECT_FALSE(probe.connected());
}

TEST_F(HttpEdgeTest, ListenerCannotBeSharedThroughSoReusePort) {
  auto server = start();
  ASSERT_TRUE(server);
  // Poco's bind(address, true) set SO_REUSEPORT, so this bind succeeded and the kernel handed
  // the hijacker a share of the connections.
  ReusePortSocket hijacker(server->port(), /*listen=*/true);
  EXPECT_EQ(hijacker.fd(), -1);
  EXPECT_EQ(hijacker.error(), EADDRINUSE) << std::strerror(hijacker.error());
}

TEST_F(HttpEdgeTest, PortAnotherSocketListensOnIsAClearStartError) {
  ReusePortSocket squatter(0, /*listen=*/true);
  ASSERT_GE(squatter.fd(), 0) << std::strerror(squatter.error());
  HttpConfig http;
  http.listen = "127.0.0.1:" + std::to_string(squatter.port());
  auto server = ApiServer::start(http, *ctx_);
  ASSERT_FALSE(server) << "started beside a socket already listening on " << http.listen;
  EXPECT_EQ(server.error().code, "http.address_in_use");
  EXPECT_NE(server.error().message.find(http.listen), std::string::npos) << server.error().message;
  EXPECT_NE(server.error().message.find("in use"), std::string::npos) << server.error().message;
}

}  // namespace
}  // namespace trustgate
