// The real trustgated's listener: no other socket can share its port, and a port already taken
// is a clear start-up error rather than a silently shared one.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "tests/e2e/api_e2e_fixture.h"

namespace trustgate::e2e {
namespace {

// Binds 127.0.0.1:port with SO_REUSEADDR and SO_REUSEPORT and listens, as a process of the same
// user trying to share or squat the daemon's port would. Returns the fd, or -1 (errno set).
int reuse_port_listener(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

TEST(HttpEdgeE2eTest, DaemonListenerCannotBeSharedThroughSoReusePort) {
  testing::DaemonProcess daemon(default_options());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  const int fd = reuse_port_listener(daemon.port());
  const int error = errno;
  if (fd >= 0) ::close(fd);
  EXPECT_EQ(fd, -1) << "a second socket bound the daemon's port and would take connections";
  EXPECT_EQ(error, EADDRINUSE) << std::strerror(error);
  EXPECT_EQ(testing::http_call(daemon.port(), "GET", "/healthz").status, 200);
}

TEST(HttpEdgeE2eTest, DaemonRefusesToStartOnAPortAnotherSocketListensOn) {
  testing::DaemonProcess daemon(default_options());
  ASSERT_TRUE(daemon.wait_ready()) << daemon.log();
  ASSERT_EQ(daemon.stop(), 0) << daemon.log();
  // The port is taken while the daemon is down; it starts again on the same config and port.
  const int squatter = reuse_port_listener(daemon.port());
  ASSERT_GE(squatter, 0) << std::strerror(errno);
  const std::string listen = "127.0.0.1:" + std::to_string(daemon.port());
  const std::size_t log_before = daemon.log().size();
  daemon.restart();
  // Generous: the failure comes within a second or so; without it the daemon would run on.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < until &&
         daemon.log().find("already in use", log_before) == std::string::npos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string log = daemon.log().substr(log_before);
  const int exit_code = daemon.stop();  // reaps it (SIGTERM is blocked while it starts)
  ::close(squatter);
  EXPECT_EQ(exit_code, 1) << log;
  EXPECT_NE(log.find("cannot listen on " + listen + ": the address is already in use"),
            std::string::npos)
      << log;
}

}  // namespace
}  // namespace trustgate::e2e
