#include "daemon/api/http_connection.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/TCPServerConnection.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <string>

namespace trustgate {

bool HttpConnections::add(int fd) {
  std::lock_guard lock(mutex_);
  if (stopped_) return false;
  fds_.insert(fd);
  return true;
}

void HttpConnections::remove(int fd) {
  std::lock_guard lock(mutex_);
  fds_.erase(fd);
}

void HttpConnections::abort_all() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  // The plain shutdown(2), not the socket object's (for TLS that would run SSL_shutdown on
  // another thread's SSL object): it wakes the blocked poll()/recv() with end-of-stream. The
  // fd is still open: a connection removes itself before its socket closes.
  for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
}

namespace {

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

// HTTPServerSession with access to its read buffer (a pipelined request may already be there).
class Session final : public Poco::Net::HTTPServerSession {
 public:
  using HTTPServerSession::HTTPServerSession;
  bool has_buffered_input() const { return buffered() > 0; }
};

class HttpConnection final : public Poco::Net::TCPServerConnection {
 public:
  HttpConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                 Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                 std::shared_ptr<HttpConnections> connections, bool tls)
      : TCPServerConnection(socket),
        params_(std::move(params)),
        handlers_(std::move(handlers)),
        connections_(std::move(connections)),
        tls_(tls) {}

  void run() override {
    const int fd = socket().impl()->sockfd();
    if (!connections_->add(fd)) return;
    try {
      serve();
    } catch (...) {
      // A broken connection ends here, as with Poco's own (it logs nothing either).
    }
    connections_->remove(fd);
  }

 private:
  // True when a request (or end-of-stream, or an error, which the parser then meets) can be
  // read within `timeout`.
  bool readable(const Poco::Timespan& timeout) {
    if (tls_ && socket().available() > 0) return true;  // decrypted bytes held by TLS
    pollfd p{socket().impl()->sockfd(), POLLIN, 0};
    const auto ms =
        static_cast<int>(std::max<Poco::Timespan::TimeDiff>(1, timeout.totalMilliseconds()));
    int rc = 0;
    do {
      rc = ::poll(&p, 1, ms);
    } while (rc < 0 && errno == EINTR);
    return rc > 0;
  }

  void serve() {
    using namespace Poco::Net;
    Session session(socket(), params_);
    const std::string& server = params_->getSoftwareVersion();
    const int max_requests = params_->getMaxKeepAliveRequests();
    int remaining = max_requests > 0 ? max_requests : -1;  // -1: unlimited
    bool first = true;
    while (true) {
      if (first) {
        first = false;
        if (!readable(params_->getTimeout())) return;
      } else {
        if (remaining == 0 || !session.getKeepAlive()) return;
        if (!session.has_buffered_input() && !readable(params_->getKeepAliveTimeout())) return;
      }
      if (remaining > 0) --remaining;
      try {
        HTTPServerResponseImpl response(session);
        HTTPServerRequestImpl request(response, session, params_);
        response.set("Date", http_date());
        response.setVersion(request.getVersion());
        response.setKeepAlive(params_->getKeepAlive() && request.getKeepAlive() && remaining != 0);
        if (!server.empty()) response.set("Server", server);
        std::unique_ptr<HTTPRequestHandler> handler(handlers_->createRequestHandler(request));
        if (!handler) {
          send_error(session, HTTPResponse::HTTP_NOT_IMPLEMENTED);
          continue;
        }
        if (request.getExpectContinue() && response.getStatus() == HTTPResponse::HTTP_OK) {
          response.sendContinue();
        }
        handler->handleRequest(request, response);
        session.setKeepAlive(params_->getKeepAlive() && response.getKeepAlive() && remaining != 0);
      } catch (const NoMessageException&) {
        return;  // the client closed the connection (or sent nothing)
      } catch (const MessageException&) {
        send_error(session, HTTPResponse::HTTP_BAD_REQUEST);  // malformed request
      }
    }
  }

  static void send_error(Poco::Net::HTTPServerSession& session,
                         Poco::Net::HTTPResponse::HTTPStatus status) {
    try {
      Poco::Net::HTTPServerResponseImpl response(session);
      response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
      response.setStatusAndReason(status);
      response.setKeepAlive(false);
      response.send();
    } catch (...) {
      // The client is gone.
    }
    session.setKeepAlive(false);
  }

  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
  std::shared_ptr<HttpConnections> connections_;
  bool tls_;
};

}  // namespace

HttpConnectionFactory::HttpConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                                             Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                                             std::shared_ptr<HttpConnections> connections, bool tls)
    : params_(std::move(params)),
      handlers_(std::move(handlers)),
      connections_(std::move(connections)),
      tls_(tls) {}

Poco::Net::TCPServerConnection* HttpConnectionFactory::createConnection(
    const Poco::Net::StreamSocket& socket) {
  return new HttpConnection(socket, params_, handlers_, connections_, tls_);
}

}  // namespace trustgate
