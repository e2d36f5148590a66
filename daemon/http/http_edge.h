#pragma once
// The API's HTTP edge, event-driven: every connection is multiplexed on a few event loops (Asio
// over epoll), so an idle or slow connection costs a small object and its socket, not a thread.
// Requests are read and framed strictly (request_reader.h over http_request_parser.h: RFC 9112;
// a lenient parser in front of authenticated endpoints is a request-smuggling surface), then
// answered on the loop itself when the handler never waits (in-memory reads), or on a small
// worker pool when it may (a handoff waits for its durable commit).
//
// Contract, per connection:
// - TLS (when configured): the handshake must end within head_timeout.
// - The head (request line and fields) must end within head_timeout of its first byte, the body
//   within body_timeout of the end of the head: totals, not per read, so that a client dribbling
//   bytes (slowloris) cannot hold its place. Expired -> 408, then close.
// - Framing is checked on the head, before the handler (so before authentication) and before any
//   body byte is read; a framing error is answered 400 `bad_framing` (501 for a transfer coding
//   other than chunked) and the connection is closed, so nothing after it is read as a request.
// - A body over max_body_bytes is not read past the limit: the handler is told (413), then close.
// - Requests are answered in the order they arrived (HTTP/1.1 pipelining), one at a time.
// - Every answer is a JSON error (api_json.h) or the handler's; nothing a client sends produces a
//   500 or an error-level log line here.
// - Between requests: the first must start within idle_timeout, each later one likewise; at most
//   max_requests requests per connection (0: unlimited). An answer the client does not read
//   within idle_timeout closes the connection. When the server closes first it shuts down its
//   sending side and reads (and drops) what the client still sends for a moment, so the client
//   sees the answer rather than a reset.
// - Over max_connections in all, or max_connections_per_client from one address: answered 503
//   too_many_connections, then closed.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "daemon/http/api_types.h"

namespace trustgate {

struct EdgeLimits {
  std::size_t max_body_bytes = 64 * 1024;
  std::chrono::milliseconds idle_timeout{10'000};  // waiting for a request's first byte
  std::chrono::milliseconds head_timeout{10'000};  // the whole head, from its first byte
  std::chrono::milliseconds body_timeout{10'000};  // the whole body, from the end of the head
  int max_requests = 1000;                         // per connection; 0: unlimited
  int max_connections = 10'000;                    // open at once, in all
  // Open at once per peer IP address (0: no cap), so that one host cannot hold them all.
  // Loopback peers are capped only with cap_loopback: every local client (and a local reverse
  // proxy) shares 127.0.0.1, so a cap there caps all of them together.
  int max_connections_per_client = 0;
  bool cap_loopback = false;
};

struct EdgeHandler {
  // Answers one request whose framing was accepted. `body_too_large`: the body exceeds
  // max_body_bytes and was not read (request.body is empty); answer 413. Must not throw.
  std::function<ApiResponse(ApiRequest request, bool body_too_large)> handle;
  // true when `handle` never waits for this request (no disk, no lock a writer holds for long):
  // it then runs on the event loop, saving two thread hand-offs; otherwise on the worker pool.
  // Unset: every request runs on the pool.
  std::function<bool(const ApiRequest&)> runs_inline;
};

// Told of every answer the edge gives itself, without the handler (400 bad_framing, 408, 431,
// 501, 503 too_many_connections ...): its status and error code, both from a fixed set. Called on
// an event loop thread. Must not throw.
using EdgeRefusalObserver = std::function<void(int status, const std::string& code)>;

// PEM files of a TLS edge. Client certificates are requested when client_ca_file is set, and
// then required when require_client_cert; a presented certificate is always verified.
struct EdgeTls {
  std::string cert_file, key_file, client_ca_file;
  bool require_client_cert = false;
};

struct EdgeSettings {
  std::string host;        // a numeric IPv4 or IPv6 address
  std::uint16_t port = 0;  // 0: any free port
  int backlog = 1024;
  int event_loops = 1;
  int workers = 8;  // threads for the requests that may wait
  EdgeLimits limits;
  std::optional<EdgeTls> tls;
};

class HttpEdge {
 public:
  // Binds (exclusively: SO_REUSEADDR, never SO_REUSEPORT, so no other socket can share the port)
  // and starts serving. Fails (never throws) on a bad address, a busy port
  // ("http.address_in_use"), or unusable TLS files ("http.tls").
  static Result<std::unique_ptr<HttpEdge>> start(EdgeSettings settings, EdgeHandler handler,
                                                 EdgeRefusalObserver on_refusal = {});
  ~HttpEdge();  // stops

  std::uint16_t port() const;
  // Stops accepting and closes the listening socket (its port is free when this returns),
  // closes every connection, lets the requests being handled finish, and joins every thread
  // (well under a second). Idempotent. Not to be called from a handler.
  void stop();

  struct Impl;

 private:
  explicit HttpEdge(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trustgate
