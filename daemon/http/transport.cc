#include "daemon/http/transport.h"

#include <openssl/err.h>

#include "daemon/http/tls_context.h"

namespace trustgate::http {

Io PlainTransport::read(char* data, std::size_t size) {
  std::error_code ec;
  const std::size_t n = socket_.read_some(asio::buffer(data, size), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) return {0, Io::Wait::kRead};
  if (ec) return {0, Io::Wait::kEnd};
  return {n, Io::Wait::kNone};
}

Io PlainTransport::write(const char* data, std::size_t size) {
  std::error_code ec;
  const std::size_t n = socket_.write_some(asio::buffer(data, size), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) return {0, Io::Wait::kWrite};
  if (ec) return {0, Io::Wait::kEnd};
  return {n, Io::Wait::kNone};
}

TlsTransport::TlsTransport(asio::ip::tcp::socket& socket, SSL_CTX* context)
    : ssl_(SSL_new(context)) {
  if (ssl_ == nullptr) return;
  SSL_set_fd(ssl_, socket.native_handle());
  SSL_set_accept_state(ssl_);
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                         SSL_MODE_RELEASE_BUFFERS);
}

TlsTransport::~TlsTransport() {
  if (ssl_) SSL_free(ssl_);
}

Io TlsTransport::result(int rc) {
  if (rc > 0) return {static_cast<std::size_t>(rc), Io::Wait::kNone};
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ:
      return {0, Io::Wait::kRead};
    case SSL_ERROR_WANT_WRITE:
      return {0, Io::Wait::kWrite};
    default:
      // The client closed (close_notify), went away, or failed the protocol: the same end for
      // this connection. OpenSSL's error queue is per thread and must not leak into the next.
      ERR_clear_error();
      return {0, Io::Wait::kEnd};
  }
}

Io TlsTransport::handshake() {
  if (ssl_ == nullptr) return {0, Io::Wait::kEnd};
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) return {};
  return result(rc);
}

Io TlsTransport::read(char* data, std::size_t size) {
  if (ssl_ == nullptr) return {0, Io::Wait::kEnd};
  return result(SSL_read(ssl_, data, static_cast<int>(std::min<std::size_t>(size, 1 << 30))));
}

Io TlsTransport::write(const char* data, std::size_t size) {
  if (ssl_ == nullptr) return {0, Io::Wait::kEnd};
  return result(SSL_write(ssl_, data, static_cast<int>(std::min<std::size_t>(size, 1 << 30))));
}

bool TlsTransport::buffered() const { return ssl_ != nullptr && SSL_has_pending(ssl_) == 1; }

void TlsTransport::close_notify() {
  if (ssl_ == nullptr) return;
  if (SSL_shutdown(ssl_) < 0) ERR_clear_error();
}

std::optional<std::vector<std::string>> TlsTransport::certificate_names() const {
  if (ssl_ == nullptr) return std::nullopt;
  return peer_certificate_names(ssl_);
}

}  // namespace trustgate::http
