#pragma once
// Reaching a directory server below LDAP, for the connection test: the servers an LDAP URL
// list names, their host names resolved (getaddrinfo) and a TCP (or ldapi:// socket) connect
// with a timeout, each failure named the way the system names it.
#include <chrono>
#include <string>
#include <vector>

#include "common/error.h"

namespace trustgate {

// One server of a source's url list ("ldap://a:389 ldaps://b").
struct LdapServerAddress {
  std::string url;     // this one URL
  std::string scheme;  // "ldap", "ldaps", "ldapi"
  std::string host;    // a host name or address; ldapi: the socket path ("" the default)
  int port = 0;        // the URL's port, else 389 (ldap) or 636 (ldaps); 0 for ldapi
};

// The servers of `urls` (separated by spaces, tabs or commas) in order. Error "ldap.config"
// when libldap cannot parse the list.
Result<std::vector<LdapServerAddress>> parse_server_addresses(const std::string& urls);

// A resolved address in numeric form ("127.0.0.1", "::1").
struct NetworkAddress {
  std::string text;
  int family = 0;  // AF_INET, AF_INET6
};

// The addresses `host` resolves to, duplicates dropped. Error "net.dns": "cannot resolve
// <host>: <gai_strerror>" ("Name or service not known").
Result<std::vector<NetworkAddress>> resolve_host(const std::string& host);

// A TCP connection to address:port opened and closed within `timeout`. Error "net.tcp":
// "<address>:<port>: connection refused" (or "timed out after N ms", "network is unreachable",
// ... as the system says).
Result<void> try_tcp_connect(const NetworkAddress& address, int port,
                             std::chrono::milliseconds timeout);

// The same for a unix socket (ldapi://). Error "net.socket".
Result<void> try_unix_connect(const std::string& path);

}  // namespace trustgate
