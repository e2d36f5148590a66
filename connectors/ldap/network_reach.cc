#include "connectors/ldap/network_reach.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <ldap.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>

namespace trustgate {
namespace {

// "Connection refused" -> "connection refused": the message continues a sentence.
std::string system_reason(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

struct FdClose {
  int fd;
  ~FdClose() {
    if (fd >= 0) ::close(fd);
  }
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

Result<std::vector<LdapServerAddress>> parse_server_addresses(const std::string& urls) {
  std::vector<LdapServerAddress> out;
  std::size_t pos = 0;
  while (pos < urls.size()) {
    const std::size_t begin = urls.find_first_not_of(" \t,", pos);
    if (begin == std::string::npos) break;
    const std::size_t end = std::min(urls.find_first_of(" \t,", begin), urls.size());
    const std::string url = urls.substr(begin, end - begin);
    pos = end;
    LDAPURLDesc* raw = nullptr;
    const int rc = ldap_url_parse(url.c_str(), &raw);
    std::unique_ptr<LDAPURLDesc, decltype(&ldap_free_urldesc)> desc(raw, &ldap_free_urldesc);
    if (rc != LDAP_URL_SUCCESS || !raw)
      return fail("ldap.config", fmt::format("cannot parse the url '{}'", url));
    LdapServerAddress a;
    a.url = url;
    a.scheme = lower(raw->lud_scheme ? raw->lud_scheme : "ldap");
    a.host = raw->lud_host ? raw->lud_host : "";
    if (a.scheme != "ldapi") {
      a.port = raw->lud_port != 0 ? raw->lud_port : (a.scheme == "ldaps" ? LDAPS_PORT : LDAP_PORT);
      if (a.host.empty()) a.host = "localhost";
    }
    out.push_back(std::move(a));
  }
  if (out.empty()) return fail("ldap.config", "the url list is empty");
  return out;
}

Result<std::vector<NetworkAddress>> resolve_host(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &raw);
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(raw, &::freeaddrinfo);
  if (rc != 0) {
    const std::string why = rc == EAI_SYSTEM ? system_reason(errno) : ::gai_strerror(rc);
    return fail("net.dns", fmt::format("cannot resolve {}: {}", host, why));
  }
  std::vector<NetworkAddress> out;
  for (addrinfo* a = raw; a; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* where =
        a->ai_family == AF_INET6
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr);
    if (!::inet_ntop(a->ai_family, where, text, sizeof text)) continue;
    NetworkAddress n{text, a->ai_family};
    if (std::none_of(out.begin(), out.end(), [&](const auto& o) { return o.text == n.text; }))
      out.push_back(std::move(n));
  }
  if (out.empty()) return fail("net.dns", fmt::format("cannot resolve {}: no address", host));
  return out;
}

Result<void> try_tcp_connect(const NetworkAddress& address, int port,
                             std::chrono::milliseconds timeout) {
  const std::string where = address.family == AF_INET6 ? fmt::format("[{}]:{}", address.text, port)
                                                       : fmt::format("{}:{}", address.text, port);
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (address.family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET6, address.text.c_str(), &in6->sin6_addr);
    length = sizeof *in6;
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, address.text.c_str(), &in4->sin_addr);
    length = sizeof *in4;
  }
  FdClose sock{::socket(address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (sock.fd < 0) return fail("net.tcp", fmt::format("{}: {}", where, system_reason(errno)));
  if (::connect(sock.fd, reinterpret_cast<sockaddr*>(&storage), length) == 0) return {};
  if (errno != EINPROGRESS)
    return fail("net.tcp", fmt::format("{}: {}", where, system_reason(errno)));
  pollfd p{sock.fd, POLLOUT, 0};
  int ready = 0;
  do {
    ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready == 0)
    return fail("net.tcp", fmt::format("{}: connection timed out after {} ms (a firewall dropping "
                                       "packets, or no such host on the network)",
                                       where, timeout.count()));
  int err = 0;
  socklen_t err_len = sizeof err;
  if (ready < 0)
    err = errno;
  else if (::getsockopt(sock.fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0)
    err = errno;
  if (err != 0) return fail("net.tcp", fmt::format("{}: {}", where, system_reason(err)));
  return {};
}

Result<void> try_unix_connect(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return fail("net.socket", fmt::format("{}: socket path too long", path));
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  FdClose sock{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (sock.fd < 0) return fail("net.socket", fmt::format("{}: {}", path, system_reason(errno)));
  if (::connect(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail("net.socket", fmt::format("{}: {}", path, system_reason(errno)));
  return {};
}

}  // namespace trustgate
