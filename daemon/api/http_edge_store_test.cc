// The HTTP edge against hostile peers, over real TCP sockets on 127.0.0.1: who may listen on the
// port, request framing (smuggling), and slow or idle clients holding worker threads. The API
// behind it is the real router with the ticket store and audit log on a real SQLite file.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <Poco/JSON/Parser.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon/api/http_server.h"
#include "daemon/http/api_json.h"
#include "daemon/testing/handoff_world.h"
#include "daemon/testing/la_fixtures.h"

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
      bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0;
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
  bool bound() const { return bound_; }  // to the source address asked for
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
  bool bound_ = false;
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
std::vector<RawResponse> responses_in(const std::string& raw) {
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

class HttpEdgeTest : public ::testing::Test, protected HandoffWorld {
 protected:
  void SetUp() override {
    ctx_ = std::make_unique<ApiContext>(ApiContext{holder_, clients_, *handoffs_, *audit_, metrics_,
                                                   clock_, nullptr, [] { return Result<void>{}; }});
    // Error-level log lines are captured: nothing a client sends may produce one.
    errors_->set_level(spdlog::level::err);
    previous_logger_ = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("edge-test", errors_);
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
    HttpConfig http;
    http.max_body_bytes = 4096;
    http.threads = 4;
    server_ = start(http);
    ASSERT_TRUE(server_);
  }
  void TearDown() override {
    if (server_) server_->stop();
    spdlog::set_default_logger(previous_logger_);
  }

  // Starts a server on 127.0.0.1 (a free port unless given).
  std::unique_ptr<ApiServer> start(HttpConfig http = {}) {
    if (http.listen == HttpConfig{}.listen) http.listen = "127.0.0.1:0";
    auto server = ApiServer::start(http, *ctx_);
    EXPECT_TRUE(server) << server.error().message;
    return server ? std::move(*server) : nullptr;
  }

  // The whole exchange of one connection: `bytes` sent at once, then everything the server
  // sends until it closes (or 8 s pass: `closed` false).
  struct Exchange {
    std::string raw;
    bool closed = false;
    std::vector<RawResponse> responses;
  };
  Exchange exchange(const std::string& bytes) {
    RawSocket s(server_->port());
    EXPECT_TRUE(s.connected());
    s.send(bytes);
    Exchange e;
    e.closed = s.read_to_close(e.raw, std::chrono::seconds(8));
    e.responses = responses_in(e.raw);
    return e;
  }
  // The request was refused on its own: one JSON error, the connection closed after it (so
  // nothing sent after the refused request was read as another request).
  static void expect_refused(const Exchange& e, int status, const std::string& code) {
    ASSERT_EQ(e.responses.size(), 1u) << e.raw;
    EXPECT_EQ(e.responses[0].status, status) << e.raw;
    EXPECT_EQ(e.responses[0].error_code(), code) << e.raw;
    EXPECT_NE(e.responses[0].head.find("Connection: Close"), std::string::npos) << e.raw;
    EXPECT_TRUE(e.closed) << "the connection stayed open: " << e.raw;
  }
  void expect_no_error_logs() {
    const auto lines = errors_->last_formatted();
    EXPECT_TRUE(lines.empty()) << lines.front();
  }

  // A complete request with a visible effect: the site issues a ticket (audited).
  std::string issue_request() {
    const std::string body =
        fmt::format(R"({{"user":"alice","institution":"100002","mfa":false,"auth_time":{}}})",
                    unix_seconds(clock_.now()) - 10);
    return fmt::format(
        "POST /v1/handoffs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer mat-site:{}\r\n"
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        kSiteSecret, body.size(), body);
  }
  std::size_t issued() {
    AuditQuery q;
    q.actions = {"issue"};
    return audit_->query(q)->size();
  }

  // The edge-refusal counter for (status, code) in the rendered metrics; 0 when absent.
  int edge_refusals(int status, const std::string& code) const {
    const std::string line = fmt::format(
        "trustgate_http_edge_refusals_total{{status=\"{}\",code=\"{}\"}} ", status, code);
    const std::string text = metrics_.render();
    const auto at = text.find(line);
    return at == std::string::npos ? 0 : std::atoi(text.c_str() + at + line.size());
  }

  Metrics metrics_{clock_};
  std::unique_ptr<ApiContext> ctx_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> errors_ =
      std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  std::shared_ptr<spdlog::logger> previous_logger_;
  std::unique_ptr<ApiServer> server_;
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

// --- Request framing (RFC 9112 §6) ------------------------------------------------------------

// What a site may send ahead of a smuggled request: the head of a POST the edge must refuse.
constexpr char kPostHead[] = "POST /v1/handoffs HTTP/1.1\r\nHost: x\r\n";

TEST_F(HttpEdgeTest, IssueRequestOfTheseTestsWorksWhenFramedPlainly) {
  Exchange e =
      exchange(issue_request() + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_GE(e.responses.size(), 2u) << e.raw;
  EXPECT_EQ(e.responses[0].status, 201) << e.raw;
  EXPECT_EQ(e.responses[1].status, 200) << e.raw;
  EXPECT_EQ(issued(), 1u);
}

TEST_F(HttpEdgeTest, TwoContentLengthsAreRejectedNotSmuggled) {
  // The first Content-Length (0) won: the rest, a whole request, was then executed as the next.
  const std::string smuggled = issue_request();
  Exchange e = exchange(std::string(kPostHead) + "Content-Length: 0\r\nContent-Length: " +
                        std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled);
  expect_refused(e, 400, "bad_framing");
  EXPECT_EQ(issued(), 0u);
  EXPECT_EQ(edge_refusals(400, "bad_framing"), 1);  // counted, though no route saw it
  expect_no_error_logs();
}

TEST_F(HttpEdgeTest, IdenticalContentLengthsAreRejectedToo) {
  Exchange e = exchange(
      "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
      "Content-Length: 0\r\n\r\n");
  expect_refused(e, 400, "bad_framing");
}

TEST_F(HttpEdgeTest, ContentLengthThatIsNotPlainDecimalIsRejectedBeforeAuthentication) {
  for (const char* value :
       {"abc", "+5", "-5", "0x5", "5, 5", "5 5", "", "1e3", "99999999999999999999"}) {
    SCOPED_TRACE(std::string("Content-Length: ") + value);
    // No Authorization: the framing is refused before the caller is (400, not 401).
    Exchange e = exchange(std::string(kPostHead) + "Content-Length: " + value + "\r\n\r\n{}" +
                          "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_refused(e, 400, "bad_framing");
  }
  expect_no_error_logs();
}

TEST_F(HttpEdgeTest, ChunkedWithANonNumericContentLengthIs400Not500) {
  // Was a 500 and an error-level log line, unauthenticated.
  Exchange e = exchange(std::string(kPostHead) +
                        "Transfer-Encoding: chunked\r\nContent-Length: abc\r\n\r\n0\r\n\r\n");
  expect_refused(e, 400, "bad_framing");
  expect_no_error_logs();
}

TEST_F(HttpEdgeTest, TransferEncodingWithContentLengthIsRejectedNotSmuggled) {
  // Chunked won over Content-Length: the empty chunked body ended early and the request behind
  // it (inside the Content-Length a proxy would have honoured) was executed.
  const std::string smuggled = issue_request();
  const std::string body = "0\r\n\r\n" + smuggled;
  Exchange e = exchange(std::string(kPostHead) + "Authorization: Bearer mat-site:" + kSiteSecret +
                        "\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
  expect_refused(e, 400, "bad_framing");
  EXPECT_EQ(issued(), 0u);
  expect_no_error_logs();
}

TEST_F(HttpEdgeTest, UnknownTransferEncodingIsRefusedNotIgnoredInFavourOfContentLength) {
  const std::string smuggled = issue_request();
  {
    // An unknown coding was ignored and Content-Length (0) framed the request instead.
    Exchange e = exchange(std::string(kPostHead) +
                          "Transfer-Encoding: x-custom\r\nContent-Length: 0\r\n\r\n" + smuggled);
    expect_refused(e, 400, "bad_framing");
  }
  struct Case {
    const char* coding;
    int status;
    const char* code;
  };
  for (const Case& c :
       {Case{"gzip", 400, "bad_framing"}, Case{"identity", 400, "bad_framing"},
        Case{"chunked, gzip", 400, "bad_framing"}, Case{"chunked, chunked", 400, "bad_framing"},
        Case{"chunked,", 400, "bad_framing"},
        Case{"gzip, chunked", 501, "unsupported_transfer_coding"}}) {
    SCOPED_TRACE(std::string("Transfer-Encoding: ") + c.coding);
    Exchange e = exchange(std::string(kPostHead) + "Transfer-Encoding: " + c.coding +
                          "\r\n\r\n0\r\n\r\n" + smuggled);
    expect_refused(e, c.status, c.code);
  }
  {
    SCOPED_TRACE("HTTP/1.0 with Transfer-Encoding");
    Exchange e = exchange(
        "POST /v1/handoffs HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
        "0\r\n\r\n" +
        smuggled);
    expect_refused(e, 400, "bad_framing");
  }
  EXPECT_EQ(issued(), 0u);
  expect_no_error_logs();
}

TEST_F(HttpEdgeTest, MalformedChunkedBodyIsRejectedNotSmuggled) {
  const std::string site = std::string("Authorization: Bearer mat-site:") + kSiteSecret + "\r\n";
  const std::string head = std::string(kPostHead) + site +
                           "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string smuggled = issue_request();
  for (const std::string& body : {
           smuggled,  // not a chunk size: the body ended there, the rest was the next request
           "5\r\n{\"a\":XX0\r\n\r\n" + smuggled,   // chunk data not followed by CRLF
           "2\n{}\r\n0\r\n\r\n" + smuggled,        // a bare LF
           "2 x\r\n{}\r\n0\r\n\r\n" + smuggled,    // junk after the size
           "FFFFFFFFFFFFFFFFFFFF\r\n" + smuggled,  // a size beyond any integer
           "0\r\nno colon\r\n\r\n" + smuggled,     // a malformed trailer
       }) {
    SCOPED_TRACE(body.substr(0, 24));
    Exchange e = exchange(head + body);
    expect_refused(e, 400, "bad_framing");
  }
  EXPECT_EQ(issued(), 0u);
  expect_no_error_logs();
}

TEST_F(HttpEdgeTest, WellFormedChunkedBodyWithExtensionsAndTrailersIsServed) {
  const std::string body =
      fmt::format(R"({{"user":"alice","institution":"100002","mfa":false,"auth_time":{}}})",
                  unix_seconds(clock_.now()) - 10);
  const std::string half = body.substr(0, 10);
  const std::string rest = body.substr(10);
  Exchange e =
      exchange(std::string(kPostHead) + "Authorization: Bearer mat-site:" + kSiteSecret +
               "\r\nContent-Type: application/json\r\nTransfer-Encoding: Chunked\r\nConnection: "
               "close\r\n\r\n" +
               fmt::format("{:x};name=value\r\n{}\r\n{:X}\r\n{}\r\n0\r\nX-Trailer: t\r\n\r\n",
                           half.size(), half, rest.size(), rest));
  ASSERT_EQ(e.responses.size(), 1u) << e.raw;
  EXPECT_EQ(e.responses[0].status, 201) << e.raw;
  EXPECT_EQ(issued(), 1u);
}

TEST_F(HttpEdgeTest, MalformedRequestHeadIsRejectedNotReinterpreted) {
  for (const std::string& bytes : {
           // Whitespace before the colon: a proxy may not see a Content-Length here.
           std::string(kPostHead) + "Content-Length : 5\r\n\r\nhello",
           // Obsolete line folding.
           std::string(kPostHead) + "X-Note: a\r\n Content-Length: 5\r\n\r\nhello",
           // Bare LF line ends.
           std::string("GET /healthz HTTP/1.1\nHost: x\n\n"),
           // Two Host fields.
           std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"),
       }) {
    SCOPED_TRACE(bytes.substr(0, 60));
    Exchange e = exchange(bytes + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_refused(e, 400, "malformed_request");
  }
  expect_no_error_logs();
}

// --- Slow and idle clients ------------------------------------------------------------------

// Sends `bytes` one byte per `every` to each socket on a thread of its own, until done or
// stopped (sends to a socket the server closed just fail).
class Dribbler {
 public:
  Dribbler(std::vector<RawSocket*> sockets, std::string bytes, std::chrono::milliseconds every)
      : thread_([this, sockets, bytes, every] {
          for (std::size_t i = 0; i < bytes.size() && !stop_; ++i) {
            for (RawSocket* s : sockets) s->send(bytes.substr(i, 1));
            std::this_thread::sleep_for(every);
          }
        }) {}
  ~Dribbler() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_F(HttpEdgeTest, SlowlorisClientsAreCutOffAndAWellBehavedClientIsServed) {
  // Twice as many slow clients as worker threads, each sending its head one byte every 200 ms
  // (a 40 s head). Each recv() returned well within any per-read timeout, so they held every
  // thread for as long as they liked.
  HttpConfig http;
  http.threads = 2;
  http.idle_timeout_seconds = 60;
  http.request_timeout_seconds = 1;
  auto server = start(http);
  ASSERT_TRUE(server);
  std::vector<std::unique_ptr<RawSocket>> slow;
  std::vector<RawSocket*> raw;
  for (int i = 0; i < 4; ++i) {
    slow.push_back(std::make_unique<RawSocket>(server->port()));
    raw.push_back(slow.back().get());
  }
  Dribbler dribbler(raw, "GET /healthz HTTP/1.1\r\nX-Slow: " + std::string(200, 'a'),
                    std::chrono::milliseconds(200));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // they come first

  const auto start = Clock::now();
  RawSocket good(server->port());
  good.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string answer;
  good.read_to_close(answer, std::chrono::seconds(20));
  const auto waited = Clock::now() - start;
  auto responses = responses_in(answer);
  ASSERT_EQ(responses.size(), 1u) << answer;
  EXPECT_EQ(responses[0].status, 200);
  // Served once the slow ones' 1 s deadlines have freed the threads (about 2 s); generous.
  EXPECT_LT(waited, std::chrono::seconds(10));

  for (auto& s : slow) {
    std::string got;
    EXPECT_TRUE(s->read_to_close(got, std::chrono::seconds(10))) << "still open";
    auto r = responses_in(got);
    ASSERT_EQ(r.size(), 1u) << got;
    EXPECT_EQ(r[0].status, 408);
    EXPECT_EQ(r[0].error_code(), "request_timeout");
  }
  expect_no_error_logs();
}

TEST_F(HttpEdgeTest, SlowBodyIsCutOffAtTheDeadline) {
  HttpConfig http;
  http.threads = 2;
  http.idle_timeout_seconds = 60;
  http.request_timeout_seconds = 1;
  auto server = start(http);
  ASSERT_TRUE(server);
  RawSocket s(server->port());
  s.send(std::string(kPostHead) + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n");
  Dribbler dribbler({&s}, std::string(100, ' '), std::chrono::milliseconds(200));  // 20 s
  const auto start = Clock::now();
  std::string got;
  EXPECT_TRUE(s.read_to_close(got, std::chrono::seconds(10))) << "still open";
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  auto r = responses_in(got);
  ASSERT_EQ(r.size(), 1u) << got;
  EXPECT_EQ(r[0].status, 408);
  EXPECT_EQ(r[0].error_code(), "request_timeout");
  EXPECT_EQ(edge_refusals(408, "request_timeout"), 1);
}

TEST_F(HttpEdgeTest, ConnectionsThatSendNothingAreClosedAfterTheIdleTimeout) {
  HttpConfig http;
  http.threads = 1;
  http.idle_timeout_seconds = 1;
  auto server = start(http);
  ASSERT_TRUE(server);
  RawSocket idle(server->port());
  std::string got;
  EXPECT_TRUE(idle.read_to_close(got, std::chrono::seconds(10))) << "still open";
  EXPECT_TRUE(got.empty()) << got;  // nothing was asked, nothing is answered
  RawSocket good(server->port());
  good.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string answer;
  good.read_to_close(answer, std::chrono::seconds(10));
  auto r = responses_in(answer);
  ASSERT_EQ(r.size(), 1u) << answer;
  EXPECT_EQ(r[0].status, 200);
}

TEST_F(HttpEdgeTest, OneClientAddressCannotHoldEveryWorkerThread) {
  // Deadlines long enough not to matter here: only the cap frees the threads.
  HttpConfig http;
  http.threads = 4;
  http.idle_timeout_seconds = 60;
  http.request_timeout_seconds = 60;
  http.max_connections_per_client = 2;
  auto server = start(http);
  ASSERT_TRUE(server);
  // Four connections from 127.0.0.2 (one client address) start a request and stall.
  std::vector<std::unique_ptr<RawSocket>> hogs;
  for (int i = 0; i < 4; ++i) {
    hogs.push_back(std::make_unique<RawSocket>(server->port(), "127.0.0.2"));
    ASSERT_TRUE(hogs.back()->bound() && hogs.back()->connected());
    hogs.back()->send("G");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // they come first

  // Another address is served at once (without the cap: only after 60 s).
  const auto start = Clock::now();
  RawSocket good(server->port());
  good.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string answer;
  good.read_to_close(answer, std::chrono::seconds(20));
  auto r = responses_in(answer);
  ASSERT_EQ(r.size(), 1u) << answer;
  EXPECT_EQ(r[0].status, 200);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));

  // Two of the four were refused at once; the other two still wait for their requests.
  int refused = 0;
  for (auto& hog : hogs) {
    std::string got;
    if (!hog->read_to_close(got, std::chrono::seconds(2))) continue;
    auto answers = responses_in(got);
    ASSERT_EQ(answers.size(), 1u) << got;
    EXPECT_EQ(answers[0].status, 503);
    EXPECT_EQ(answers[0].error_code(), "too_many_connections");
    ++refused;
  }
  EXPECT_EQ(refused, 2);
  EXPECT_EQ(edge_refusals(503, "too_many_connections"), 2);
  expect_no_error_logs();
}

// --- Many connections, pipelining, status lines ------------------------------------------------

// Raises this process's open-file limit to its hard limit; false when it stays below `needed`.
bool allow_open_files(rlim_t needed) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed;
}

TEST_F(HttpEdgeTest, ThousandsOfIdleKeepAliveConnectionsDoNotBlockANewClient) {
  // With a thread per connection, the ninth connection waited for one of the first eight to
  // close; 1,500 idle keep-alive connections held by 2 worker threads must now cost nothing.
  constexpr int kIdle = 1500;
  ASSERT_TRUE(allow_open_files(2 * kIdle + 256)) << "the open-file limit is too low for the test";
  HttpConfig http;
  http.threads = 2;
  http.idle_timeout_seconds = 120;
  auto server = start(http);
  ASSERT_TRUE(server);
  std::vector<std::unique_ptr<RawSocket>> idle;
  for (int i = 0; i < kIdle; ++i) {
    idle.push_back(std::make_unique<RawSocket>(server->port()));
    ASSERT_TRUE(idle.back()->connected()) << "connection " << i;
    // One request each, answered, so that every one is an idle keep-alive connection.
    ASSERT_TRUE(idle.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  }
  for (int i = 0; i < kIdle; ++i) {
    std::string got;
    idle[i]->read_response(got, std::chrono::seconds(20));
    auto r = responses_in(got);
    ASSERT_EQ(r.size(), 1u) << "connection " << i << ": " << got;
    ASSERT_EQ(r[0].status, 200);
    ASSERT_NE(r[0].head.find("Connection: Keep-Alive"), std::string::npos) << r[0].head;
  }

  // A new client, and a handoff on the worker pool, are served while all of them stay open.
  Exchange issue;
  {
    RawSocket s(server->port());
    s.send(issue_request() + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    issue.closed = s.read_to_close(issue.raw, std::chrono::seconds(10));
    issue.responses = responses_in(issue.raw);
  }
  ASSERT_EQ(issue.responses.size(), 2u) << issue.raw;
  EXPECT_EQ(issue.responses[0].status, 201);
  EXPECT_EQ(issue.responses[1].status, 200);

  // The first and the last of the idle ones are still served on their kept-alive connection.
  for (RawSocket* s : {idle.front().get(), idle.back().get()}) {
    ASSERT_TRUE(s->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string got;
    s->read_response(got, std::chrono::seconds(10));
    auto r = responses_in(got);
    ASSERT_EQ(r.size(), 1u) << got;
    EXPECT_EQ(r[0].status, 200);
  }

  // Stopping closes all of them, promptly.
  const auto stop_start = Clock::now();
  server->stop();
  EXPECT_LT(Clock::now() - stop_start, std::chrono::seconds(5));
  std::string rest;
  EXPECT_TRUE(idle[kIdle / 2]->read_to_close(rest, std::chrono::seconds(5)));
  expect_no_error_logs();
}

TEST_F(HttpEdgeTest, PipelinedRequestsAreAnsweredInTheOrderTheyCame) {
  // Answers come from the event loop (GET) and from the worker pool (the POST) in between:
  // they must still leave in the order of the requests.
  Exchange e = exchange(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /v1/no-such-thing HTTP/1.1\r\nHost: x\r\n\r\n" +
      issue_request() +
      "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
      "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(e.closed);
  std::vector<int> statuses;
  for (const auto& r : e.responses) statuses.push_back(r.status);
  // The HEAD answer has a Content-Length but no body: responses_in reads the next answer's
  // head as its body, so five answers are seen; the raw bytes show the sixth.
  ASSERT_GE(statuses.size(), 4u) << e.raw;
  EXPECT_EQ(statuses[0], 200);
  EXPECT_EQ(statuses[1], 404);
  EXPECT_EQ(statuses[2], 201);
  EXPECT_EQ(statuses[3], 200);
  EXPECT_NE(e.responses[3].body.find("trustgate_"), std::string::npos);  // the metrics
  std::size_t status_lines = 0;
  for (auto at = e.raw.find("HTTP/1.1 "); at != std::string::npos;
       at = e.raw.find("HTTP/1.1 ", at + 1)) {
    ++status_lines;
  }
  EXPECT_EQ(status_lines, 6u) << e.raw;
  EXPECT_EQ(issued(), 1u);
}

TEST_F(HttpEdgeTest, StatusLinesCarryTheReasonPhraseOfTheirStatus) {
  Exchange e = exchange(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /v1/clusters HTTP/1.1\r\nHost: x\r\n\r\n" +
      issue_request() + "GET /v1/no-such-thing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(e.responses.size(), 4u) << e.raw;
  EXPECT_TRUE(e.responses[0].head.starts_with("HTTP/1.1 200 OK\r\n")) << e.responses[0].head;
  EXPECT_TRUE(e.responses[1].head.starts_with("HTTP/1.1 401 Unauthorized\r\n"))
      << e.responses[1].head;
  EXPECT_TRUE(e.responses[2].head.starts_with("HTTP/1.1 201 Created\r\n")) << e.responses[2].head;
  EXPECT_TRUE(e.responses[3].head.starts_with("HTTP/1.1 404 Not Found\r\n")) << e.responses[3].head;
  Exchange big = exchange(std::string(kPostHead) + "Content-Length: 99999\r\n\r\n");
  ASSERT_EQ(big.responses.size(), 1u) << big.raw;
  EXPECT_TRUE(big.responses[0].head.starts_with("HTTP/1.1 413 Payload Too Large\r\n") ||
              big.responses[0].head.starts_with("HTTP/1.1 413 Request Entity Too Large\r\n"))
      << big.responses[0].head;
}

TEST_F(HttpEdgeTest, ConnectionsOverTheTotalAreAnsweredCleanlyAndTheRestServed) {
  HttpConfig http;
  http.max_connections = 3;
  http.idle_timeout_seconds = 60;
  auto server = start(http);
  ASSERT_TRUE(server);
  std::vector<std::unique_ptr<RawSocket>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawSocket>(server->port()));
    held.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string got;
    held.back()->read_response(got, std::chrono::seconds(10));
    ASSERT_EQ(responses_in(got).size(), 1u) << got;
  }
  RawSocket over(server->port());
  over.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got;
  EXPECT_TRUE(over.read_to_close(got, std::chrono::seconds(10)));
  auto r = responses_in(got);
  ASSERT_EQ(r.size(), 1u) << got;
  EXPECT_EQ(r[0].status, 503);
  EXPECT_EQ(r[0].error_code(), "too_many_connections");
  EXPECT_TRUE(r[0].head.starts_with("HTTP/1.1 503 Service Unavailable\r\n")) << r[0].head;

  held.pop_back();  // one closes: a new client takes its place
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    RawSocket next(server->port());
    next.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::string answer;
    next.read_to_close(answer, std::chrono::seconds(10));
    auto a = responses_in(answer);
    served = a.size() == 1 && a[0].status == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // close not yet seen
  }
  EXPECT_TRUE(served);
  expect_no_error_logs();
}

TEST_F(HttpEdgeTest, ExpectContinueIsAnsweredBeforeTheBodyAndNotForABodyOverTheLimit) {
  const std::string issue = issue_request();
  const auto split = issue.find("\r\n\r\n") + 4;
  const std::string head = issue.substr(0, split - 2) + "Expect: 100-continue\r\n\r\n";
  RawSocket s(server_->port());
  ASSERT_TRUE(s.send(head));
  // The interim answer comes while the body has not been sent.
  std::string interim;
  const auto until = Clock::now() + std::chrono::seconds(10);
  while (interim.find("\r\n\r\n") == std::string::npos && Clock::now() < until) {
    s.read_response(interim, std::chrono::milliseconds(100));
  }
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(s.send(issue.substr(split)));
  std::string answer;
  s.read_response(answer, std::chrono::seconds(10));
  auto r = responses_in(answer);
  ASSERT_EQ(r.size(), 1u) << answer;
  EXPECT_EQ(r[0].status, 201);
  EXPECT_EQ(issued(), 1u);

  // Over max_body_bytes (4096 here): 413 at once, no 100 Continue, and closed.
  Exchange big =
      exchange(std::string(kPostHead) + "Expect: 100-continue\r\nContent-Length: 99999\r\n\r\n");
  EXPECT_EQ(big.raw.find("100 Continue"), std::string::npos) << big.raw;
  expect_refused(big, 413, "payload_too_large");
}

}  // namespace
}  // namespace trustgate
