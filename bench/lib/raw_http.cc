#include "bench/lib/raw_http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>

namespace trustgate::bench {
namespace {

bool iequals_prefix(std::string_view line, std::string_view name) {
  if (line.size() < name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string get_request(std::string_view target, std::string_view authorization) {
  std::string r = "GET ";
  r.append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  if (!authorization.empty()) r.append("Authorization: ").append(authorization).append("\r\n");
  return r.append("\r\n");
}

int connect_loopback_nonblocking(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 &&
      errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int connect_error(int fd) {
  int error = 0;
  socklen_t len = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) return errno;
  return error;
}

ResponseReader::State ResponseReader::feed(const char* data, std::size_t n) {
  buffer_.append(data, n);
  if (head_end_ == 0) {
    const State s = parse_head();
    if (s != State::kComplete) return s;
  }
  return buffer_.size() >= head_end_ + length_ ? State::kComplete : State::kIncomplete;
}

ResponseReader::State ResponseReader::parse_head() {
  const auto end = buffer_.find("\r\n\r\n");
  if (end == std::string::npos) return buffer_.size() > 65536 ? State::kBad : State::kIncomplete;
  const std::string_view head(buffer_.data(), end);
  if (!head.starts_with("HTTP/1.") || head.size() < 12 || head[8] != ' ') return State::kBad;
  status_ = std::atoi(buffer_.c_str() + 9);
  close_ = head.starts_with("HTTP/1.0");  // 1.0 closes unless it says keep-alive
  bool has_length = false;
  length_ = 0;
  for (std::size_t at = head.find("\r\n"); at != std::string_view::npos;) {
    const std::size_t from = at + 2;
    const std::size_t to = std::min(head.find("\r\n", from), head.size());
    const std::string_view line = head.substr(from, to - from);
    if (iequals_prefix(line, "content-length:")) {
      length_ = std::strtoul(std::string(line.substr(15)).c_str(), nullptr, 10);
      has_length = true;
    } else if (iequals_prefix(line, "transfer-encoding:")) {
      return State::kBad;  // not sent by the servers measured
    } else if (iequals_prefix(line, "connection:")) {
      const std::string v = lower(line.substr(11));
      if (v.find("close") != std::string::npos) close_ = true;
      if (v.find("keep-alive") != std::string::npos) close_ = false;
    }
    at = to < head.size() ? to : std::string_view::npos;
  }
  if (!has_length && status_ >= 200 && status_ != 204 && status_ != 304) return State::kBad;
  head_end_ = end + 4;
  return State::kComplete;
}

std::string_view ResponseReader::body() const {
  return std::string_view(buffer_).substr(head_end_, length_);
}

void ResponseReader::next() {
  buffer_.erase(0, std::min(buffer_.size(), head_end_ + length_));
  head_end_ = length_ = 0;
  status_ = 0;
  close_ = false;
}

void ResponseReader::clear() {
  buffer_.clear();
  head_end_ = length_ = 0;
  status_ = 0;
  close_ = false;
}

HttpReply http_get(int port, std::string_view target, std::string_view authorization,
                   int timeout_ms) {
  HttpReply reply;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto wait = [&](int fd, short events) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          until - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, static_cast<int>(left)) == 1;
  };
  const int fd = connect_loopback_nonblocking(port);
  if (fd < 0) return reply;
  const std::string request = get_request(target, authorization);
  ResponseReader reader;
  bool done = false;
  if (wait(fd, POLLOUT) && connect_error(fd) == 0) {
    std::size_t sent = 0;
    while (sent < request.size() && wait(fd, POLLOUT)) {
      const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    char buf[16384];
    while (sent == request.size() && !done && wait(fd, POLLIN)) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      const auto state = reader.feed(buf, static_cast<std::size_t>(n));
      if (state == ResponseReader::State::kBad) break;
      done = state == ResponseReader::State::kComplete;
    }
  }
  ::close(fd);
  if (done) {
    reply.status = reader.status();
    reply.body = std::string(reader.body());
  }
  return reply;
}

}  // namespace trustgate::bench
