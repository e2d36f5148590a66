#pragma once
// The server-side TLS context of the edge: TLS 1.2 and later, strong ciphers only, no session
// cache, client certificates checked against the configured CA file only.
#include <asio/ssl/context.hpp>
#include <memory>

#include "common/error.h"
#include "daemon/http/http_edge.h"

namespace trustgate::http {

Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const EdgeTls& tls);

// The subject CN and DNS subjectAltNames of the (verified) client certificate of a finished
// handshake; nullopt when the client presented none.
std::optional<std::vector<std::string>> peer_certificate_names(SSL* ssl);

}  // namespace trustgate::http
