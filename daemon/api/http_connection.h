#pragma once
// One keep-alive HTTP connection of the API server, in place of Poco's HTTPServerConnection.
//
// Requests are still parsed and answered by Poco (HTTPServerSession, HTTPServerRequestImpl,
// HTTPServerResponseImpl: the same header limits, 400 on a malformed request, 100-continue,
// keep-alive rules). What differs is the wait for the next request: one ::poll() on the socket
// (Poco 1.11 creates and closes an epoll instance for every wait), and the Date header is
// formatted once a second instead of per response.
//
// Limits: the first request must start within HTTPServerParams::getTimeout(), each later one
// within getKeepAliveTimeout(); at most getMaxKeepAliveRequests() requests per connection
// (0: unlimited); the socket's receive timeout (set by HTTPServerSession) bounds a stalled
// request.
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include <memory>
#include <mutex>
#include <set>

namespace trustgate {

// The open connections of one server, so that stopping it can abort them. Thread-safe.
class HttpConnections {
 public:
  // Registers a connection's socket; false when the server is stopping (then do not serve).
  bool add(int fd);
  void remove(int fd);
  // Refuses new connections and shuts down the sockets of the open ones (their threads see
  // end-of-stream and return).
  void abort_all();

 private:
  std::mutex mutex_;
  std::set<int> fds_;     // GUARDED_BY(mutex_)
  bool stopped_ = false;  // GUARDED_BY(mutex_)
};

class HttpConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
 public:
  // `tls`: the listening socket is a SecureServerSocket (TLS may hold decrypted bytes that
  // poll() cannot see).
  HttpConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                        Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                        std::shared_ptr<HttpConnections> connections, bool tls);
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override;

 private:
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
  std::shared_ptr<HttpConnections> connections_;
  bool tls_;
};

}  // namespace trustgate
