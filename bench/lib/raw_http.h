#pragma once
// Plain HTTP/1.1 on loopback sockets for the load generators: requests as bytes, an incremental
// reader of answers (Content-Length framing, as trustgated and nginx send; chunked or
// close-delimited bodies count as bad answers), non-blocking connects, and one blocking GET.
#include <cstddef>
#include <string>
#include <string_view>

namespace trustgate::bench {

// "GET <target> HTTP/1.1" with Host and, when not empty, Authorization.
std::string get_request(std::string_view target, std::string_view authorization = "");

// A non-blocking TCP socket connecting to 127.0.0.1:port (TCP_NODELAY, close-on-exec); the
// connect may still be in progress (poll for writability, then check SO_ERROR). -1 on failure.
int connect_loopback_nonblocking(int port);
// 0 when a non-blocking connect completed, else its errno.
int connect_error(int fd);

// One answer after another on a keep-alive connection.
class ResponseReader {
 public:
  enum class State { kIncomplete, kComplete, kBad };
  // Takes received bytes; kComplete once a whole answer is buffered.
  State feed(const char* data, std::size_t n);
  int status() const { return status_; }
  bool close() const { return close_; }  // the server said "Connection: close"
  std::string_view body() const;
  // Drops the complete answer (bytes after it stay, for the next) or everything (after kBad or
  // on a new connection: clear()).
  void next();
  void clear();
  bool empty() const { return buffer_.empty(); }

 private:
  State parse_head();
  std::string buffer_;
  std::size_t head_end_ = 0;  // 0: head not parsed yet; else the offset of the body
  std::size_t length_ = 0;
  int status_ = 0;
  bool close_ = false;
};

struct HttpReply {
  int status = -1;  // -1: no answer (refused, reset, timeout, bad framing)
  std::string body;
};

// GET on a fresh connection, waiting at most `timeout_ms` in all. Never throws.
HttpReply http_get(int port, std::string_view target, std::string_view authorization = "",
                   int timeout_ms = 10'000);

}  // namespace trustgate::bench
