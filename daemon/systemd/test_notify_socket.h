#pragma once
// For tests: a test-owned AF_UNIX datagram socket standing in for systemd's $NOTIFY_SOCKET,
// in a fresh temp folder removed on destruction. Not thread-safe.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace trustgate {

class TestNotifySocket {
 public:
  TestNotifySocket() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tg-notify-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    path_ = (std::filesystem::path(dir_) / "notify").string();
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (fd_ < 0 || path_.size() >= sizeof(addr.sun_path)) {
      throw std::runtime_error("cannot create notify socket");
    }
    path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      throw std::runtime_error("cannot bind notify socket " + path_);
    }
  }
  ~TestNotifySocket() {
    ::close(fd_);
    std::filesystem::remove_all(dir_);
  }
  TestNotifySocket(const TestNotifySocket&) = delete;
  TestNotifySocket& operator=(const TestNotifySocket&) = delete;

  // The value for $NOTIFY_SOCKET.
  const std::string& path() const { return path_; }

  // The next datagram, or nullopt when none arrives within `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto ms = timeout.count();
    timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) return std::nullopt;
    std::string message(buf, static_cast<std::size_t>(n));
    received_.push_back(message);
    return message;
  }

  // Receives until a datagram satisfies `match` (returned) or `deadline` passes (nullopt).
  std::optional<std::string> wait_for(const std::function<bool(const std::string&)>& match,
                                      std::chrono::milliseconds deadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto message = receive(left);
      if (!message) return std::nullopt;
      if (match(*message)) return message;
    }
  }
  std::optional<std::string> wait_for(const std::string& exact,
                                      std::chrono::milliseconds deadline) {
    return wait_for([&exact](const std::string& m) { return m == exact; }, deadline);
  }

  // Every datagram received so far, in order.
  const std::vector<std::string>& received() const { return received_; }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
  std::vector<std::string> received_;
};

}  // namespace trustgate
