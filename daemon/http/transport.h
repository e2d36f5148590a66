#pragma once
// The bytes of one connection, plain or TLS, moved without waiting: each call does what the
// socket allows now and says what to wait for otherwise. The connection (http_connection.cc)
// waits for readiness itself, so neither kind holds a buffer while idle: TLS is OpenSSL on the
// socket's descriptor (a few KiB per idle connection with released buffers), not a TLS stream
// object with buffers of its own (tens of KiB each).
#include <openssl/ssl.h>

#include <asio/ip/tcp.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace trustgate::http {

struct Io {
  enum class Wait { kNone, kRead, kWrite, kEnd };
  std::size_t bytes = 0;    // moved (when wait is kNone)
  Wait wait = Wait::kNone;  // kEnd: the peer closed, or the connection failed
};

class PlainTransport {
 public:
  explicit PlainTransport(asio::ip::tcp::socket& socket) : socket_(socket) {}
  Io handshake() { return {}; }
  Io read(char* data, std::size_t size);
  Io write(const char* data, std::size_t size);
  bool buffered() const { return false; }  // bytes read from the socket, not yet returned
  void close_notify() {}
  std::optional<std::vector<std::string>> certificate_names() const { return std::nullopt; }

 private:
  asio::ip::tcp::socket& socket_;
};

class TlsTransport {
 public:
  TlsTransport(asio::ip::tcp::socket& socket, SSL_CTX* context);
  ~TlsTransport();
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  Io handshake();
  Io read(char* data, std::size_t size);
  Io write(const char* data, std::size_t size);
  bool buffered() const;
  void close_notify();  // sends the TLS close_notify alert, without waiting for the client's
  std::optional<std::vector<std::string>> certificate_names() const;

 private:
  Io result(int rc);
  SSL* ssl_ = nullptr;
};

}  // namespace trustgate::http
