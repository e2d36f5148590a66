#include "daemon/config/http_listen.h"

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>

namespace trustgate {

Result<HttpListen> resolve_http_listen(const HttpConfig& http) {
  HttpListen out;
  out.tls = !http.tls_cert_file.empty() && !http.tls_key_file.empty();
  try {
    const Poco::Net::SocketAddress address(http.listen);
    out.host = address.host().toString();
    out.port = address.port();
    if (!out.tls && !address.host().isLoopback()) {
      return fail("http.insecure", "refusing plain HTTP on non-loopback address " + http.listen +
                                       ": set [http] tls_cert and tls_key");
    }
  } catch (const Poco::Exception& e) {
    return fail("http.listen", "cannot listen on " + http.listen + ": " + e.displayText());
  }
  return out;
}

}  // namespace trustgate
