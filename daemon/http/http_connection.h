#pragma once
// One keep-alive HTTP/1.1 connection of the API server. Poco's TCPServer accepts connections and
// hands each to a worker thread; reading, framing and writing are done here (the parsing itself
// in http_request_parser.h), strictly (RFC 9112), because a lenient parser in front of
// authenticated endpoints is a request-smuggling surface (Poco's lets the first of two
// Content-Length fields win, ignores an unknown Transfer-Encoding and stops a malformed chunked
// body early, parsing the rest as the next request).
//
// Contract, per request:
// - The head (request line and fields) must end within EdgeLimits::head_timeout of its first
//   byte, the body within body_timeout of the end of the head: totals, not per recv(), so a
//   client dribbling bytes cannot hold a worker thread. Expired -> 408, then close.
// - Framing is checked on the head, before the handler (so before authentication) and before any
//   body byte is read; a framing error is answered 400 `bad_framing` (501 for a transfer coding
//   other than chunked) and the connection is closed, so nothing after it is parsed as a request.
// - A body over max_body_bytes is not read past the limit: the handler is told (413), then close.
// - Every answer is a JSON error (api_json.h) or the handler's; nothing a client sends produces a
//   500 or an error-level log line here.
// Between requests: the first must start within idle_timeout, each later one likewise; at most
// max_requests requests per connection (0: unlimited). When the server closes first it shuts down
// its sending side and reads (and drops) what the client still sends for a moment, so the client
// sees the answer rather than a reset.
#include <Poco/Net/TCPServerConnectionFactory.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "daemon/http/api_types.h"

namespace trustgate {

struct EdgeLimits {
  std::size_t max_body_bytes = 64 * 1024;
  std::chrono::milliseconds idle_timeout{10'000};  // waiting for a request's first byte
  std::chrono::milliseconds head_timeout{10'000};  // the whole head, from its first byte
  std::chrono::milliseconds body_timeout{10'000};  // the whole body, from the end of the head
  int max_requests = 1000;                         // per connection; 0: unlimited
  // Concurrent connections per peer IP address (0: no cap), so that one host cannot hold every
  // worker thread; a connection over it is answered 503 too_many_connections and closed.
  // Loopback peers are capped only with cap_loopback: every local client (and a local reverse
  // proxy) shares 127.0.0.1, so a cap there caps all of them together.
  int max_connections_per_client = 0;
  bool cap_loopback = false;
};

// Answers one request whose framing was accepted. `body_too_large`: the body exceeds
// max_body_bytes and was not read (request.body is empty); answer 413. Must not throw.
using EdgeHandler = std::function<ApiResponse(ApiRequest request, bool body_too_large)>;
// Told of every answer the edge gives itself, without the handler (400 bad_framing, 408, 431,
// 501, 503 too_many_connections ...): its status and error code, both from a fixed set. Must not
// throw.
using EdgeRefusalObserver = std::function<void(int status, const std::string& code)>;

// The open connections of one server, so that stopping it can abort them, and their count per
// peer address. Thread-safe.
class HttpConnections {
 public:
  enum class Admission { kAdmitted, kStopping, kOverCap };
  // Registers a connection's socket under its peer's address; refused (and not registered) when
  // the server is stopping or the peer already has `cap` connections (0: no cap).
  Admission add(int fd, const std::string& peer, int cap);
  void remove(int fd);
  // Refuses new connections and shuts down the sockets of the open ones (their threads see
  // end-of-stream and return).
  void abort_all();

 private:
  std::mutex mutex_;
  std::map<int, std::string> fds_;       // fd -> peer address; GUARDED_BY(mutex_)
  std::map<std::string, int> per_peer_;  // open connections per peer; GUARDED_BY(mutex_)
  bool stopped_ = false;                 // GUARDED_BY(mutex_)
};

class HttpConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
 public:
  // `tls`: the listening socket is a SecureServerSocket (TLS may hold decrypted bytes that
  // poll() cannot see).
  HttpConnectionFactory(EdgeLimits limits, EdgeHandler handler,
                        std::shared_ptr<HttpConnections> connections, bool tls,
                        EdgeRefusalObserver on_refusal = {});
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override;

 private:
  EdgeLimits limits_;
  std::shared_ptr<const EdgeHandler> handler_;
  std::shared_ptr<HttpConnections> connections_;
  bool tls_;
  std::shared_ptr<const EdgeRefusalObserver> on_refusal_;
};

}  // namespace trustgate
