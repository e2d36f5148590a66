#include "daemon/api/http_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "daemon/config/http_listen.h"
#include "daemon/http/api_json.h"
#include "daemon/http/http_edge.h"

namespace trustgate {
namespace {

std::string known_method(const std::string& m) {
  for (const char* k : {"GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"}) {
    if (m == k) return m;
  }
  return "OTHER";  // metrics labels stay bounded
}

// Routes one request (or answers 413 for an oversized body) and records it in the metrics.
// Never throws: nothing a client sends may escape it.
ApiResponse handle_request(const Router& router, ApiContext& ctx, std::size_t max_body_bytes,
                           ApiRequest request, bool body_too_large) {
  const auto start = std::chrono::steady_clock::now();
  std::string endpoint = "unmatched";
  std::string method = "OTHER";
  ApiResponse out;
  try {
    method = known_method(request.method);
    out = body_too_large ? error_response(413, "payload_too_large",
                                          fmt::format("the body exceeds {} bytes", max_body_bytes))
                         : router.dispatch(request, endpoint);
  } catch (...) {
    spdlog::error("http: unexpected failure handling a request");
    out = error_response(500, "internal", "internal error");
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  try {
    ctx.metrics.record_request(method, endpoint, out.status, seconds);
  } catch (...) {
  }
  return out;
}

// The edge's limits from the configuration; 0 for max_connections_per_client means: a tenth of
// max_connections per remote address, loopback peers uncapped (every local client shares
// 127.0.0.1).
EdgeLimits edge_limits(const HttpConfig& http) {
  EdgeLimits limits;
  limits.max_body_bytes = http.max_body_bytes;
  limits.idle_timeout = std::chrono::seconds(std::max(1, http.idle_timeout_seconds));
  limits.head_timeout = std::chrono::seconds(std::max(1, http.request_timeout_seconds));
  limits.body_timeout = limits.head_timeout;
  limits.max_connections = std::max(1, http.max_connections);
  if (http.max_connections_per_client > 0) {
    limits.max_connections_per_client = http.max_connections_per_client;
    limits.cap_loopback = true;
  } else {
    limits.max_connections_per_client = std::max(1, limits.max_connections / 10);
    limits.cap_loopback = false;
  }
  return limits;
}

int event_loops(const HttpConfig& http) {
  if (http.event_loops > 0) return http.event_loops;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<int>(std::clamp(cores / 2, 1u, 8u));
}

}  // namespace

Result<std::unique_ptr<ApiServer>> ApiServer::start(const HttpConfig& http, ApiContext& ctx) {
  std::unique_ptr<ApiServer> s(new ApiServer());
  auto listen = resolve_http_listen(http);
  if (!listen) return std::unexpected(listen.error());
  EdgeSettings settings;
  settings.host = listen->host;
  settings.port = listen->port;
  s->tls_ = listen->tls;
  if (s->tls_) {
    settings.tls = EdgeTls{http.tls_cert_file, http.tls_key_file, http.tls_client_ca_file,
                           http.require_client_cert};
  }
  settings.limits = edge_limits(http);
  settings.backlog = std::clamp(http.max_connections, 16, 4096);
  settings.event_loops = event_loops(http);
  settings.workers = std::max(1, http.threads);

  s->router_ = std::make_unique<Router>(ctx.clients);
  add_all_routes(*s->router_, ctx);
  EdgeHandler handler;
  handler.handle = [router = s->router_.get(), &ctx, max = http.max_body_bytes](ApiRequest request,
                                                                                bool too_large) {
    return handle_request(*router, ctx, max, std::move(request), too_large);
  };
  // The GET and HEAD handlers read the in-memory snapshot, the metrics and the sync status: none
  // waits for the disk or a writer (router.h), so they need no hand-off to a worker thread.
  handler.runs_inline = [](const ApiRequest& r) { return r.method == "GET" || r.method == "HEAD"; };
  auto edge = HttpEdge::start(std::move(settings), std::move(handler),
                              [&ctx](int status, const std::string& code) {
                                ctx.metrics.record_edge_refusal(status, code);
                              });
  if (!edge) return std::unexpected(edge.error());
  s->edge_ = std::move(*edge);
  s->port_ = s->edge_->port();
  spdlog::info("http: listening on {} port {}{}", http.listen, s->port_, s->tls_ ? " (TLS)" : "");
  return s;
}

void ApiServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (edge_) edge_->stop();
}

ApiServer::~ApiServer() { stop(); }

}  // namespace trustgate
