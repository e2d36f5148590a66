#pragma once
// Where the API listens and whether it may: the rule trustgated applies when it starts its
// server (daemon/api/http_server.cc), shared with `trustgatectl check-config` so that a config
// the daemon would refuse is not reported OK.
#include <cstdint>
#include <string>

#include "common/error.h"
#include "daemon/config/config.h"

namespace trustgate {

struct HttpListen {
  std::string host;  // an IP address: a host name in `listen` is resolved
  std::uint16_t port = 0;
  bool tls = false;  // tls_cert_file and tls_key_file are both set
};

// `http.listen` parsed (a host name resolved) with the TLS choice. Fails with "http.listen"
// when the address does not parse or resolve, and with "http.insecure" when plain HTTP is asked
// for on an address that is not loopback (only TLS may be served there). Never throws.
Result<HttpListen> resolve_http_listen(const HttpConfig& http);

}  // namespace trustgate
