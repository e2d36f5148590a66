#include "daemon/api/http_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <istream>
#include <mutex>

#include "daemon/api/api_json.h"
#include "daemon/api/http_connection.h"

namespace trustgate {
namespace {

struct EdgeConfig {
  std::size_t max_body_bytes;
};

// Reads the body, at most `max` bytes. nullopt when larger.
std::optional<std::string> read_body(Poco::Net::HTTPServerRequest& req, std::size_t max) {
  if (req.hasContentLength() && req.getContentLength64() > static_cast<Poco::Int64>(max)) {
    return std::nullopt;
  }
  std::string body;
  std::istream& in = req.stream();
  char buf[8192];
  while (in) {
    in.read(buf, sizeof buf);
    body.append(buf, static_cast<std::size_t>(in.gcount()));
    if (body.size() > max) return std::nullopt;
  }
  return body;
}

constexpr std::size_t kMaxDrainBytes = 1024 * 1024;

void drain(std::istream& in, std::size_t max) {
  try {
    char buf[8192];
    std::size_t total = 0;
    while (in && total < max) {
      in.read(buf, sizeof buf);
      total += static_cast<std::size_t>(in.gcount());
    }
  } catch (...) {
    // A broken or timed-out body: the connection is closed anyway.
  }
}

class EdgeHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  EdgeHandler(const Router& router, ApiContext& ctx, EdgeConfig cfg)
      : router_(router), ctx_(ctx), cfg_(cfg) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    const auto start = std::chrono::steady_clock::now();
    std::string endpoint = "unmatched";
    std::string method = "OTHER";
    ApiResponse out;
    try {
      method = known_method(req.getMethod());
      out = handle(req, resp, endpoint);
    } catch (...) {
      // Nothing a client sends may escape this handler.
      spdlog::error("http: unexpected failure handling a request");
      out = error_response(500, "internal", "internal error");
    }
    try {
      send(resp, out);
    } catch (...) {
      // The client went away; nothing left to do.
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    try {
      ctx_.metrics.record_request(method, endpoint, out.status, seconds);
    } catch (...) {
    }
  }

 private:
  static std::string known_method(const std::string& m) {
    for (const char* k : {"GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"}) {
      if (m == k) return m;
    }
    return "OTHER";  // metrics labels stay bounded
  }

  ApiResponse handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                     std::string& endpoint) {
    auto body = read_body(req, cfg_.max_body_bytes);
    if (!body) {
      // Read (a bounded amount) of what the client is still sending, so that closing the
      // connection does not reset it before it reads the 413; then close.
      drain(req.stream(), kMaxDrainBytes);
      resp.setKeepAlive(false);
      return error_response(413, "payload_too_large",
                            fmt::format("the body exceeds {} bytes", cfg_.max_body_bytes));
    }
    ApiRequest r;
    r.method = req.getMethod();
    r.target = req.getURI();
    r.authorization = req.get("Authorization", "");
    r.content_type = req.get("Content-Type", "");
    r.body = std::move(*body);
    return router_.dispatch(r, endpoint);
  }

  static void send(Poco::Net::HTTPServerResponse& resp, const ApiResponse& out) {
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.status));
    resp.setContentType(out.content_type);
    resp.set("Cache-Control", "no-store");
    resp.set("X-Content-Type-Options", "nosniff");
    for (const auto& [k, v] : out.headers) resp.set(k, v);
    resp.setContentLength64(static_cast<Poco::Int64>(out.body.size()));
    // send() puts the header into the same buffered stream as the body, so a response up to
    // the stream's buffer (4 KiB) leaves in ONE send(); sendBuffer() would send the header and
    // the body separately: two syscalls and two segments for the client to wake up for.
    std::ostream& stream = resp.send();
    stream.write(out.body.data(), static_cast<std::streamsize>(out.body.size()));
    stream.flush();
  }

  const Router& router_;
  ApiContext& ctx_;
  EdgeConfig cfg_;
};

class EdgeFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  EdgeFactory(const Router& router, ApiContext& ctx, EdgeConfig cfg)
      : router_(router), ctx_(ctx), cfg_(cfg) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new EdgeHandler(router_, ctx_, cfg_);
  }

 private:
  const Router& router_;
  ApiContext& ctx_;
  EdgeConfig cfg_;
};

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

    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams();
    const int threads = std::max(1, http.threads);
    params->setMaxThreads(threads);
    params->setMaxQueued(std::max(1, http.max_connections));
    params->setTimeout(Poco::Timespan(std::max(1, http.idle_timeout_seconds), 0));
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(std::max(1, http.idle_timeout_seconds), 0));
    params->setMaxKeepAliveRequests(1000);
    params->setServerName("trustgate");
    params->setSoftwareVersion("trustgate");

    s->pool_ = std::make_unique<Poco::ThreadPool>(1, threads + 1);
    s->connections_ = std::make_shared<HttpConnections>();
    Poco::Net::HTTPRequestHandlerFactory::Ptr handlers =
        new EdgeFactory(*s->router_, ctx, EdgeConfig{http.max_body_bytes});
    s->server_ = std::make_unique<Poco::Net::TCPServer>(
        new HttpConnectionFactory(params, handlers, s->connections_, s->tls_), *s->pool_, socket,
        params);
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
