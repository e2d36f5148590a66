#include "daemon/http/http_connection.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/X509Certificate.h>
#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <expected>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/http/api_json.h"
#include "daemon/http/http_request_parser.h"

namespace trustgate {

HttpConnections::Admission HttpConnections::add(int fd, const std::string& peer, int cap) {
  std::lock_guard lock(mutex_);
  if (stopped_) return Admission::kStopping;
  int& open = per_peer_[peer];
  if (cap > 0 && open >= cap) {
    if (open == 0) per_peer_.erase(peer);
    return Admission::kOverCap;
  }
  ++open;
  fds_.emplace(fd, peer);
  return Admission::kAdmitted;
}

void HttpConnections::remove(int fd) {
  std::lock_guard lock(mutex_);
  const auto it = fds_.find(fd);
  if (it == fds_.end()) return;
  if (auto peer = per_peer_.find(it->second); peer != per_peer_.end() && --peer->second <= 0) {
    per_peer_.erase(peer);
  }
  fds_.erase(it);
}

void HttpConnections::abort_all() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  // The plain shutdown(2), not the socket object's (for TLS that would run SSL_shutdown on
  // another thread's SSL object): it wakes the blocked poll()/recv() with end-of-stream. The
  // fd is still open: a connection removes itself before its socket closes.
  for (const auto& [fd, peer] : fds_) ::shutdown(fd, SHUT_RDWR);
}

namespace {

using Clock = std::chrono::steady_clock;

// After the server closes first: how long, and how much, it reads of what the client still sends.
constexpr std::chrono::milliseconds kLinger{1000};
constexpr std::size_t kMaxLingerBytes = 1024 * 1024;
constexpr std::string_view kServer = "trustgate";

// RFC 9110 IMF-fixdate of the current second, formatted once a second per thread.
const std::string& http_date() {
  thread_local std::time_t cached_second = -1;
  thread_local std::string cached;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    cached =
        fmt::format("{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} GMT", kDays[tm.tm_wday], tm.tm_mday,
                    kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_second = now;
  }
  return cached;
}

using http::Refusal;
using http::Stop;

Refusal timed_out(std::string_view what) {
  return {408, "request_timeout", fmt::format("the {} did not arrive in time", what)};
}

class HttpConnection final : public Poco::Net::TCPServerConnection {
 public:
  HttpConnection(const Poco::Net::StreamSocket& socket, const EdgeLimits& limits,
                 std::shared_ptr<const EdgeHandler> handler,
                 std::shared_ptr<HttpConnections> connections, bool tls,
                 std::shared_ptr<const EdgeRefusalObserver> on_refusal)
      : TCPServerConnection(socket),
        limits_(limits),
        handler_(std::move(handler)),
        connections_(std::move(connections)),
        tls_(tls),
        on_refusal_(std::move(on_refusal)) {}

  void run() override {
    const int fd = socket().impl()->sockfd();
    std::string peer;
    int cap = limits_.max_connections_per_client;
    try {
      const Poco::Net::IPAddress host = socket().peerAddress().host();
      peer = host.toString();
      peer_ = peer;
      if (host.isLoopback() && !limits_.cap_loopback) cap = 0;
    } catch (...) {
      return;  // already disconnected
    }
    switch (connections_->add(fd, peer, cap)) {
      case HttpConnections::Admission::kAdmitted:
        break;
      case HttpConnections::Admission::kStopping:
        return;
      case HttpConnections::Admission::kOverCap:
        spdlog::debug("http: refused a connection from {}: {} already open", peer, cap);
        observe_refusal(503, "too_many_connections");
        try {
          send(error_response(503, "too_many_connections",
                              fmt::format("at most {} connections per client address", cap)),
               false, false);
        } catch (...) {
        }
        return;
    }
    try {
      serve();
    } catch (...) {
      // A broken connection (reset, send timeout) ends here; nothing to log.
    }
    connections_->remove(fd);
  }

 private:
  enum class Fill { kData, kEof, kTimeout };

  // Appends what the socket has to input_.in, waiting at most until `deadline`.
  Fill fill(Clock::time_point deadline) {
    if (!(tls_ && socket().available() > 0)) {  // TLS may hold decrypted bytes poll() can't see
      pollfd p{socket().impl()->sockfd(), POLLIN, 0};
      int rc = 0;
      do {
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return Fill::kTimeout;
        rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 60'000)));
      } while ((rc < 0 && errno == EINTR) || (rc == 0 && Clock::now() < deadline));
      if (rc == 0) return Fill::kTimeout;
      if (rc < 0) return Fill::kEof;
    }
    char buf[16 * 1024];
    int n = 0;
    try {
      n = socket().receiveBytes(buf, sizeof buf);
    } catch (const Poco::TimeoutException&) {
      return Fill::kTimeout;
    } catch (...) {
      return Fill::kEof;  // reset, TLS error: the client is gone
    }
    if (n <= 0) return Fill::kEof;
    input_.in.append(buf, static_cast<std::size_t>(n));
    return Fill::kData;
  }

  // Backs input_.more with the socket until `deadline`; `what` names the part being read.
  void read_until(Clock::time_point deadline, std::string_view what) {
    input_.more = [this, deadline, what]() -> std::expected<void, Stop> {
      switch (fill(deadline)) {
        case Fill::kData:
          return {};
        case Fill::kTimeout:
          return std::unexpected(Stop{timed_out(what)});
        case Fill::kEof:
          break;
      }
      return std::unexpected(Stop{});
    };
  }

  void send(const ApiResponse& r, bool keep_alive, bool head_only) {
    const auto& reason = Poco::Net::HTTPResponse::getReasonForStatus(
        static_cast<Poco::Net::HTTPResponse::HTTPStatus>(r.status));
    std::string out = fmt::format(
        "HTTP/1.1 {} {}\r\nDate: {}\r\nServer: {}\r\nContent-Type: {}\r\n"
        "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n",
        r.status, reason, http_date(), kServer, r.content_type);
    for (const auto& [k, v] : r.headers) out += fmt::format("{}: {}\r\n", k, v);
    out += fmt::format("Content-Length: {}\r\nConnection: {}\r\n\r\n", r.body.size(),
                       keep_alive ? "Keep-Alive" : "Close");
    if (!head_only) out += r.body;
    // One send() for the whole answer: one segment for the client to wake up for.
    std::size_t sent = 0;
    while (sent < out.size()) {
      const int n = socket().sendBytes(out.data() + sent, static_cast<int>(out.size() - sent));
      if (n <= 0) throw Poco::IOException("send failed");
      sent += static_cast<std::size_t>(n);
    }
  }

  void refuse(const Refusal& r) {
    spdlog::debug("http: refused a request: {} ({})", r.message, r.status);
    observe_refusal(r.status, r.code);
    send(error_response(r.status, r.code, r.message), false, false);
  }

  void observe_refusal(int status, const std::string& code) {
    if (!on_refusal_ || !*on_refusal_) return;
    try {
      (*on_refusal_)(status, code);
    } catch (...) {
    }
  }

  // Closing first: stop sending, then read and drop what the client still sends for a moment,
  // so that the close does not reset the connection before the client has read the answer.
  void linger() {
    try {
      socket().shutdownSend();
    } catch (...) {
      return;
    }
    const auto until = Clock::now() + kLinger;
    std::size_t dropped = 0;
    while (dropped < kMaxLingerBytes) {
      input_.in.clear();
      input_.pos = 0;
      if (fill(until) != Fill::kData) return;
      dropped += input_.in.size();
    }
  }

  void serve() {
    socket().setReceiveTimeout(Poco::Timespan(
        std::chrono::duration_cast<std::chrono::microseconds>(
            std::max({limits_.idle_timeout, limits_.head_timeout, limits_.body_timeout}))
            .count()));
    int remaining = limits_.max_requests > 0 ? limits_.max_requests : -1;  // -1: unlimited
    while (true) {
      input_.in.erase(0, input_.pos);
      input_.pos = 0;
      if (input_.in.empty() && fill(Clock::now() + limits_.idle_timeout) != Fill::kData) return;
      if (remaining > 0) --remaining;
      if (!serve_one(remaining != 0)) return;
    }
  }

  // Reads and answers one request; false when the connection is to be closed (and was).
  bool serve_one(bool may_keep_alive) {
    read_until(Clock::now() + limits_.head_timeout, "request head");
    auto text = http::read_head(input_);
    if (!text) return stop(text.error());
    auto head = http::parse_head(*text);
    if (!head) return stop(Stop{head.error()});
    auto framing = http::framing_of(*head);
    if (!framing) return stop(Stop{framing.error()});

    bool keep_alive = may_keep_alive && head->keep_alive();
    bool too_large = false;
    std::string body;
    read_until(Clock::now() + limits_.body_timeout, "request body");
    if (framing->kind != http::Framing::Kind::kNone) {
      too_large =
          framing->kind == http::Framing::Kind::kLength && framing->length > limits_.max_body_bytes;
      if (!too_large && head->minor == 1 && http::iequals(head->first("Expect"), "100-continue")) {
        send_raw("HTTP/1.1 100 Continue\r\n\r\n");
      }
    }
    if (framing->kind == http::Framing::Kind::kLength && !too_large) {
      const auto n = static_cast<std::size_t>(framing->length);
      if (auto got = input_.need(n); !got) return stop(got.error());
      body = input_.in.substr(input_.pos, n);
      input_.pos += n;
    } else if (framing->kind == http::Framing::Kind::kChunked) {
      auto complete = http::read_chunked(input_, limits_.max_body_bytes, body);
      if (!complete) return stop(complete.error());
      too_large = !*complete;
    }
    if (too_large) {
      keep_alive = false;
      body.clear();
    }

    ApiRequest request;
    request.method = head->method;
    request.target = head->target;
    request.authorization = head->first("Authorization");
    request.content_type = head->first("Content-Type");
    request.body = std::move(body);
    request.peer = peer_;  // for throttling and logs
    request.certificate_names = certificate_names();
    ApiResponse answer;
    try {
      answer = (*handler_)(std::move(request), too_large);
    } catch (...) {
      answer = error_response(500, "internal", "internal error");
    }
    send(answer, keep_alive, head->method == "HEAD");
    if (keep_alive) return true;
    linger();
    return false;
  }

  // Answers a refusal (if any), then closes: after lingering, unless the client was too slow
  // (lingering would only hold the thread longer for it).
  bool stop(const Stop& why) {
    if (why.refusal) {
      refuse(*why.refusal);
      if (why.refusal->status != 408) linger();
    }
    return false;
  }

  // The verified client certificate's subject CN and DNS subjectAltNames, read once per
  // connection (the handshake is done once a request has been read); nullopt without one.
  // A server context verifies any certificate it is shown, so a presented one is verified.
  const std::optional<std::vector<std::string>>& certificate_names() {
    if (!certificate_read_) {
      certificate_read_ = true;
      if (tls_) {
        try {
          Poco::Net::SecureStreamSocket secure(socket());
          if (secure.havePeerCertificate()) {
            const Poco::Net::X509Certificate cert = secure.peerCertificate();
            std::string common_name;
            std::set<std::string> dns_names;
            cert.extractNames(common_name, dns_names);
            std::vector<std::string> names(dns_names.begin(), dns_names.end());
            if (!common_name.empty()) names.push_back(common_name);
            certificate_names_ = std::move(names);
          }
        } catch (const Poco::Exception&) {
          certificate_names_.reset();  // not a TLS socket after all: no certificate
        }
      }
    }
    return certificate_names_;
  }

  void send_raw(std::string_view bytes) {
    socket().sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  }

  const EdgeLimits limits_;
  std::shared_ptr<const EdgeHandler> handler_;
  std::shared_ptr<HttpConnections> connections_;
  bool tls_;
  std::shared_ptr<const EdgeRefusalObserver> on_refusal_;
  std::string peer_;  // the client's IP address
  bool certificate_read_ = false;
  std::optional<std::vector<std::string>> certificate_names_;
  http::RequestInput input_;  // bytes read and not yet consumed
};

}  // namespace

HttpConnectionFactory::HttpConnectionFactory(EdgeLimits limits, EdgeHandler handler,
                                             std::shared_ptr<HttpConnections> connections, bool tls,
                                             EdgeRefusalObserver on_refusal)
    : limits_(limits),
      handler_(std::make_shared<const EdgeHandler>(std::move(handler))),
      connections_(std::move(connections)),
      tls_(tls),
      on_refusal_(std::make_shared<const EdgeRefusalObserver>(std::move(on_refusal))) {}

Poco::Net::TCPServerConnection* HttpConnectionFactory::createConnection(
    const Poco::Net::StreamSocket& socket) {
  return new HttpConnection(socket, limits_, handler_, connections_, tls_, on_refusal_);
}

}  // namespace trustgate
