#include "daemon/http/tls_context.h"

#include <Poco/Crypto/X509Certificate.h>
#include <Poco/Net/X509Certificate.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <set>

namespace trustgate::http {

Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const EdgeTls& tls) {
  if (tls.require_client_cert && tls.client_ca_file.empty()) {
    return fail("http.tls", "require_client_cert needs tls_client_ca_file");
  }
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  std::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression,
                   ec);
  const auto failed = [](const std::string& what, const std::error_code& e) {
    return fail("http.tls", "cannot load TLS " + what + ": " + e.message());
  };
  if (ec) return failed("options", ec);
  if (ctx->use_certificate_chain_file(tls.cert_file, ec); ec) return failed("certificate", ec);
  if (ctx->use_private_key_file(tls.key_file, asio::ssl::context::pem, ec); ec) {
    return failed("key", ec);
  }
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_check_private_key(native) != 1) {
    return fail("http.tls", "cannot load TLS key: it does not match the certificate");
  }
  if (SSL_CTX_set_cipher_list(native, "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES") != 1) {
    return fail("http.tls", "cannot set the TLS cipher list");
  }
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  // An idle TLS connection then holds no read or write buffer of OpenSSL's.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  if (!tls.client_ca_file.empty()) {
    if (ctx->load_verify_file(tls.client_ca_file, ec); ec) return failed("client CA", ec);
    // The CAs named in the certificate request, so that a client picks the right certificate.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(native, names);
    }
    asio::ssl::verify_mode mode = asio::ssl::verify_peer | asio::ssl::verify_client_once;
    if (tls.require_client_cert) mode |= asio::ssl::verify_fail_if_no_peer_cert;
    ctx->set_verify_mode(mode, ec);
  } else {
    ctx->set_verify_mode(asio::ssl::verify_none, ec);
  }
  if (ec) return failed("verification mode", ec);
  return ctx;
}

std::optional<std::vector<std::string>> peer_certificate_names(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  // Poco's reading of the names (CN, DNS subjectAltNames); it takes over the reference.
  const Poco::Net::X509Certificate certificate(cert);
  std::string common_name;
  std::set<std::string> dns_names;
  certificate.extractNames(common_name, dns_names);
  std::vector<std::string> names(dns_names.begin(), dns_names.end());
  if (!common_name.empty()) names.push_back(common_name);
  return names;
}

}  // namespace trustgate::http
