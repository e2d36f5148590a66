#include "daemon/api/http_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerParams.h>
#include <Poco/ThreadPool.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <mutex>

#include "daemon/http/api_json.h"
#include "daemon/http/http_connection.h"

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

Result<Poco::Net::Context::Ptr> make_tls_context(const HttpConfig& http) {
  static std::once_flag ssl_init;
  std::call_once(ssl_init, [] { Poco::Net::initializeSSL(); });
  using Poco::Net::Context;
  Context::VerificationMode mode = Context::VERIFY_NONE;
  if (!http.tls_client_ca_file.empty()) {
    mode = http.require_client_cert ? Context::VERIFY_STRICT : Context::VERIFY_RELAXED;
  } else if (http.require_client_cert) {
    return fail("http.tls", "require_client_cert needs tls_client_ca_file");
  }
  try {
    Context::Params params;
    params.privateKeyFile = http.tls_key_file;
    params.certificateFile = http.tls_cert_file;
    params.caLocation = http.tls_client_ca_file;
    params.verificationMode = mode;
    params.loadDefaultCAs = false;
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
    Context::Ptr ctx = new Context(Context::TLS_SERVER_USE, params);
    ctx->disableProtocols(Context::PROTO_SSLV2 | Context::PROTO_SSLV3 | Context::PROTO_TLSV1 |
                          Context::PROTO_TLSV1_1);
    ctx->enableSessionCache(false);
    // Client certificates are checked against tls_client_ca only: Poco's "extended" check would
    // also demand that a client's certificate name the client's IP address, and refuse it.
    ctx->enableExtendedCertificateVerification(false);
    return ctx;
  } catch (const Poco::Exception& e) {
    return fail("http.tls", "cannot load TLS certificate/key: " + e.displayText());
  } catch (const std::exception& e) {
    return fail("http.tls", std::string("cannot load TLS certificate/key: ") + e.what());
  }
}

// Binds with SO_REUSEADDR (a restart may bind past connections left in TIME_WAIT) but never
// SO_REUSEPORT, which would let any process of the same user bind the same address beside this
// one and take a share of its connections, Authorization headers included. A busy address is
// the error "http.address_in_use" naming it.
Result<void> bind_exclusively(Poco::Net::ServerSocket& socket,
                              const Poco::Net::SocketAddress& address, const std::string& listen) {
  try {
    socket.bind(address, /*reuseAddress=*/true, /*reusePort=*/false);
    return {};
  } catch (const Poco::Exception& e) {
    if (e.code() == EADDRINUSE) {
      return fail("http.address_in_use",
                  "cannot listen on " + listen + ": the address is already in use");
    }
    return fail("http.listen", "cannot listen on " + listen + ": " + e.displayText());
  }
}

}  // namespace

Result<std::unique_ptr<ApiServer>> ApiServer::start(const HttpConfig& http, ApiContext& ctx) {
  std::unique_ptr<ApiServer> s(new ApiServer());
  try {
    Poco::Net::SocketAddress address(http.listen);
    s->tls_ = !http.tls_cert_file.empty() && !http.tls_key_file.empty();
    if (!s->tls_ && !address.host().isLoopback()) {
      return fail("http.insecure", "refusing plain HTTP on non-loopback address " + http.listen +
                                       ": configure tls_cert_file and tls_key_file");
    }
    const int backlog = std::max(16, http.max_connections);
    Poco::Net::ServerSocket socket;
    if (s->tls_) {
      auto tls = make_tls_context(http);
      if (!tls) return std::unexpected(tls.error());
      Poco::Net::SecureServerSocket secure(*tls);
      if (auto bound = bind_exclusively(secure, address, http.listen); !bound) {
        return std::unexpected(bound.error());
      }
      secure.listen(backlog);
      socket = secure;
    } else {
      if (auto bound = bind_exclusively(socket, address, http.listen); !bound) {
        return std::unexpected(bound.error());
      }
      socket.listen(backlog);
    }
    s->port_ = socket.address().port();

    s->router_ = std::make_unique<Router>(ctx.clients);
    add_all_routes(*s->router_, ctx);

    Poco::Net::TCPServerParams::Ptr params = new Poco::Net::TCPServerParams();
    const int threads = std::max(1, http.threads);
    params->setMaxThreads(threads);
    params->setMaxQueued(std::max(1, http.max_connections));

    EdgeLimits limits;
    limits.max_body_bytes = http.max_body_bytes;
    limits.idle_timeout = std::chrono::seconds(std::max(1, http.idle_timeout_seconds));
    limits.head_timeout = std::chrono::seconds(std::max(1, http.request_timeout_seconds));
    limits.body_timeout = limits.head_timeout;
    if (http.max_connections_per_client > 0) {
      limits.max_connections_per_client = http.max_connections_per_client;
      limits.cap_loopback = true;
    } else {  // automatic: half the threads per remote address, loopback peers uncapped
      limits.max_connections_per_client = std::max(1, threads / 2);
      limits.cap_loopback = false;
    }
    s->pool_ = std::make_unique<Poco::ThreadPool>(1, threads + 1);
    s->connections_ = std::make_shared<HttpConnections>();
    EdgeHandler handler = [router = s->router_.get(), &ctx, max = http.max_body_bytes](
                              ApiRequest request, bool too_large) {
      return handle_request(*router, ctx, max, std::move(request), too_large);
    };
    s->server_ = std::make_unique<Poco::Net::TCPServer>(
        new HttpConnectionFactory(limits, std::move(handler), s->connections_, s->tls_,
                                  [&ctx](int status, const std::string& code) {
                                    ctx.metrics.record_edge_refusal(status, code);
                                  }),
        *s->pool_, socket, params);
    s->server_->start();
    spdlog::info("http: listening on {}:{}{}", address.host().toString(), s->port_,
                 s->tls_ ? " (TLS)" : "");
    return s;
  } catch (const Poco::Exception& e) {
    return fail("http.listen", "cannot listen on " + http.listen + ": " + e.displayText());
  } catch (const std::exception& e) {
    return fail("http.listen", "cannot listen on " + http.listen + ": " + e.what());
  }
}

void ApiServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  try {
    if (server_) {
      server_->stop();  // no new connections
      // TCPServer::stop() leaves the socket listening (the kernel would still complete and queue
      // connections nobody accepts); close it, so that the port is free again at once, e.g.
      // for the server a reload starts on the same address.
      Poco::Net::ServerSocket listener = server_->socket();
      listener.close();
    }
    if (connections_) connections_->abort_all();
    if (pool_) pool_->joinAll();
  } catch (...) {
    spdlog::warn("http: error while stopping the server");
  }
}

ApiServer::~ApiServer() { stop(); }

}  // namespace trustgate
