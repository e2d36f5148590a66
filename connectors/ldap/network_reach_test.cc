// The servers of a url list, and the DNS and TCP failures named as the system names them.
#include "connectors/ldap/network_reach.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace trustgate {
namespace {

TEST(NetworkReachTest, AUrlListGivesEachServerWithItsDefaultPort) {
  auto servers = parse_server_addresses("ldap://a.example ldaps://b.example,ldap://c.example:3389");
  ASSERT_TRUE(servers) << servers.error().message;
  ASSERT_EQ(servers->size(), 3u);
  EXPECT_EQ((*servers)[0].scheme, "ldap");
  EXPECT_EQ((*servers)[0].host, "a.example");
  EXPECT_EQ((*servers)[0].port, 389);
  EXPECT_EQ((*servers)[1].scheme, "ldaps");
  EXPECT_EQ((*servers)[1].port, 636);
  EXPECT_EQ((*servers)[2].port, 3389);
  EXPECT_EQ((*servers)[2].url, "ldap://c.example:3389");
}

TEST(NetworkReachTest, AnLdapiUrlNamesItsSocketPath) {
  auto servers = parse_server_addresses("ldapi://%2Frun%2Fslapd%2Fldapi");
  ASSERT_TRUE(servers) << servers.error().message;
  ASSERT_EQ(servers->size(), 1u);
  EXPECT_EQ((*servers)[0].scheme, "ldapi");
  EXPECT_EQ((*servers)[0].host, "/run/slapd/ldapi");
  EXPECT_EQ((*servers)[0].port, 0);
}

TEST(NetworkReachTest, AnUnparsableUrlIsAConfigError) {
  auto servers = parse_server_addresses("ldap://a.example nonsense");
  ASSERT_FALSE(servers);
  EXPECT_EQ(servers.error().code, "ldap.config");
  EXPECT_NE(servers.error().message.find("'nonsense'"), std::string::npos);
}

TEST(NetworkReachTest, ANumericAddressResolvesToItself) {
  auto addresses = resolve_host("127.0.0.1");
  ASSERT_TRUE(addresses) << addresses.error().message;
  ASSERT_EQ(addresses->size(), 1u);
  EXPECT_EQ((*addresses)[0].text, "127.0.0.1");
  EXPECT_EQ((*addresses)[0].family, AF_INET);
}

TEST(NetworkReachTest, AnInvalidNameDoesNotResolve) {
  auto addresses = resolve_host("nothing.trustgate.invalid");
  ASSERT_FALSE(addresses);
  EXPECT_EQ(addresses.error().code, "net.dns");
  EXPECT_TRUE(addresses.error().message.starts_with("cannot resolve nothing.trustgate.invalid: "))
      << addresses.error().message;
}

// A loopback port that was just free: bound, not listened on, closed.
int unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(NetworkReachTest, APortNobodyListensOnIsConnectionRefused) {
  const int port = unused_port();
  auto connected = try_tcp_connect({"127.0.0.1", AF_INET}, port, std::chrono::seconds(5));
  ASSERT_FALSE(connected);
  EXPECT_EQ(connected.error().code, "net.tcp");
  EXPECT_EQ(connected.error().message,
            "127.0.0.1:" + std::to_string(port) + ": connection refused");
}

TEST(NetworkReachTest, AListeningPortConnects) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto connected =
      try_tcp_connect({"127.0.0.1", AF_INET}, ntohs(addr.sin_port), std::chrono::seconds(5));
  ::close(fd);
  EXPECT_TRUE(connected) << connected.error().message;
}

TEST(NetworkReachTest, AMissingSocketIsNamed) {
  auto connected = try_unix_connect("/nonexistent/trustgate/ldapi");
  ASSERT_FALSE(connected);
  EXPECT_EQ(connected.error().message, "/nonexistent/trustgate/ldapi: no such file or directory");
}

}  // namespace
}  // namespace trustgate
