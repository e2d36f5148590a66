#pragma once
// The API server: the HTTP edge (daemon/http/http_edge.h: event-driven, strict framing,
// deadlines, connection caps) on the configured address, plain on loopback or TLS with optional
// client certificates, every request routed through the Router and everything caught so that
// nothing a client sends can take the daemon down.
//
// Limits: body > HttpConfig::max_body_bytes -> 413; a request line or fields beyond the limits
// (target 16 KiB, field name 256 B, value 8 KiB, 100 fields, head 64 KiB) -> 431, malformed ->
// 400, ambiguous framing -> 400 bad_framing; max_connections open in all and
// max_connections_per_client per peer address (503 beyond); idle_timeout_seconds for waiting for
// a request, request_timeout_seconds for reading its head, then its body (each in total, not per
// read). GET and HEAD are answered on the event loops (their handlers read the in-memory
// snapshot and never wait); other requests on HttpConfig::threads worker threads. Plain HTTP is
// refused on a non-loopback address: use TLS. Every response carries Cache-Control: no-store.
#include <cstdint>
#include <memory>

#include "common/error.h"
#include "daemon/api/api_context.h"
#include "daemon/config/config.h"

namespace trustgate {

class HttpEdge;

class ApiServer {
 public:
  // Binds (exclusively: no SO_REUSEPORT, so no other socket can share the port) and starts
  // serving. `http` is copied; `ctx` (and what it refers to) must outlive the server. Fails
  // (never throws) on a bad address, a busy port ("http.address_in_use"), or unusable TLS files.
  static Result<std::unique_ptr<ApiServer>> start(const HttpConfig& http, ApiContext& ctx);
  ~ApiServer();  // stops

  std::uint16_t port() const { return port_; }  // the bound port (useful with port 0)
  bool tls() const { return tls_; }
  // Stops accepting, closes the listening socket (its port is free when this returns), closes
  // open connections and joins every thread (well under a second). Idempotent.
  void stop();

 private:
  ApiServer() = default;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpEdge> edge_;
  std::uint16_t port_ = 0;
  bool tls_ = false;
  bool stopped_ = false;
};

}  // namespace trustgate
