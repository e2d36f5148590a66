#include "daemon/api/http_connection.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServerConnection.h>
#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/api/api_json.h"

namespace trustgate {

HttpConnections::Admission HttpConnections::add(int fd, const std::string& peer, int cap) {
  std::lock_guard lock(mutex_);
  if (stopped_) return Admission::kStopping;
  int& open = per_peer_[peer];
  if (cap > 0 && open >= cap) {
    if (open == 0) per_peer_.erase(peer);
    return Admission::kOverCap;
  }
  ++open;
  fds_.emplace(fd, peer);
  return Admission::kAdmitted;
}

void HttpConnections::remove(int fd) {
  std::lock_guard lock(mutex_);
  const auto it = fds_.find(fd);
  if (it == fds_.end()) return;
  if (auto peer = per_peer_.find(it->second); peer != per_peer_.end() && --peer->second <= 0) {
    per_peer_.erase(peer);
  }
  fds_.erase(it);
}

void HttpConnections::abort_all() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  // The plain shutdown(2), not the socket object's (for TLS that would run SSL_shutdown on
  // another thread's SSL object): it wakes the blocked poll()/recv() with end-of-stream. The
  // fd is still open: a connection removes itself before its socket closes.
  for (const auto& [fd, peer] : fds_) ::shutdown(fd, SHUT_RDWR);
}

namespace {

using Clock = std::chrono::steady_clock;

// Sizes of a request head: the same per-part limits as Poco's parser had (URI 16 KiB, field name
// 256 B, value 8 KiB, 100 fields), and 64 KiB for the whole head.
constexpr std::size_t kMaxHeadBytes = 64 * 1024;
constexpr std::size_t kMaxMethodBytes = 32;
constexpr std::size_t kMaxTargetBytes = 16 * 1024;
constexpr std::size_t kMaxFieldNameBytes = 256;
constexpr std::size_t kMaxFieldValueBytes = 8 * 1024;
constexpr std::size_t kMaxFields = 100;
constexpr std::size_t kMaxContentLengthDigits = 18;  // fits in int64
// Chunked bodies: a chunk-size line (with extensions), and the trailer section (dropped).
constexpr std::size_t kMaxChunkLineBytes = 1024;
constexpr std::size_t kMaxChunkSizeDigits = 15;
constexpr std::size_t kMaxTrailerBytes = 16 * 1024;
// After the server closes first: how long, and how much, it reads of what the client still sends.
constexpr std::chrono::milliseconds kLinger{1000};
constexpr std::size_t kMaxLingerBytes = 1024 * 1024;
constexpr std::string_view kServer = "trustgate";

// RFC 9110 IMF-fixdate of the current second, formatted once a second per thread.
const std::string& http_date() {
  thread_local std::time_t cached_second = -1;
  thread_local std::string cached;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    cached =
        fmt::format("{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} GMT", kDays[tm.tm_wday], tm.tm_mday,
                    kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_second = now;
  }
  return cached;
}

// A request refused at the edge: answered with this JSON error, then the connection is closed.
struct Refusal {
  int status;
  std::string code;
  std::string message;
};

Refusal malformed(std::string message) { return {400, "malformed_request", std::move(message)}; }
Refusal bad_framing(std::string message) { return {400, "bad_framing", std::move(message)}; }
Refusal too_large_head(std::string message) {
  return {431, "headers_too_large", std::move(message)};
}
Refusal timed_out(std::string_view what) {
  return {408, "request_timeout", fmt::format("the {} did not arrive in time", what)};
}

// Why reading a request stopped: a refusal to answer, or (none) the client is gone.
struct Stop {
  std::optional<Refusal> refusal;
};

bool is_tchar(char c) {
  static constexpr std::string_view kMarks = "!#$%&'*+-.^_`|~";
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         kMarks.find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Field-value characters (RFC 9110 §5.5): visible, obs-text, SP and HTAB; no other controls.
bool is_field_value(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return c == '\t' || (u >= 0x20 && u != 0x7f);
  });
}

// The elements of a comma-separated list, OWS-trimmed (empty elements kept, as "").
std::vector<std::string_view> list_elements(std::string_view value) {
  std::vector<std::string_view> out;
  while (true) {
    const auto comma = value.find(',');
    out.push_back(trim_ows(value.substr(0, comma)));
    if (comma == std::string_view::npos) return out;
    value.remove_prefix(comma + 1);
  }
}

struct Head {
  std::string method;
  std::string target;
  int minor = 1;                                            // HTTP/1.<minor>
  std::vector<std::pair<std::string, std::string>> fields;  // values OWS-trimmed

  std::vector<const std::string*> all(std::string_view name) const {
    std::vector<const std::string*> out;
    for (const auto& [k, v] : fields) {
      if (iequals(k, name)) out.push_back(&v);
    }
    return out;
  }
  std::string first(std::string_view name) const {
    for (const auto& [k, v] : fields) {
      if (iequals(k, name)) return v;
    }
    return {};
  }
  bool has_token(std::string_view name, std::string_view token) const {
    for (const std::string* v : all(name)) {
      for (std::string_view e : list_elements(*v)) {
        if (iequals(e, token)) return true;
      }
    }
    return false;
  }
  // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
  bool keep_alive() const {
    if (has_token("Connection", "close")) return false;
    return minor == 1 || has_token("Connection", "keep-alive");
  }
};

// Parses a request head: `text` is everything before the CRLF CRLF that ends it, its lines
// separated by CRLF (bare CR or LF refused). Strict (RFC 9112 §3, §5): one SP between the parts
// of the request line, no whitespace in or before a field name, no obsolete line folding.
std::expected<Head, Refusal> parse_head(std::string_view text) {
  std::vector<std::string_view> lines;
  while (true) {
    const auto crlf = text.find("\r\n");
    const std::string_view line = text.substr(0, crlf);
    if (line.find_first_of("\r\n") != std::string_view::npos) {
      return std::unexpected(malformed("a line of the request head ends in a bare CR or LF"));
    }
    lines.push_back(line);
    if (crlf == std::string_view::npos) break;
    text.remove_prefix(crlf + 2);
  }
  Head head;
  const std::string_view request_line = lines.front();
  const auto sp1 = request_line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return std::unexpected(malformed("malformed request line"));
  const std::string_view method = request_line.substr(0, sp1);
  const std::string_view target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = request_line.substr(sp2 + 1);
  if (!is_token(method) || method.size() > kMaxMethodBytes) {
    return std::unexpected(malformed("malformed request method"));
  }
  if (target.size() > kMaxTargetBytes) {
    return std::unexpected(too_large_head("the request target is too long"));
  }
  if (target.empty() || !std::all_of(target.begin(), target.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
      })) {
    return std::unexpected(malformed("malformed request target"));
  }
  if (version == "HTTP/1.1") {
    head.minor = 1;
  } else if (version == "HTTP/1.0") {
    head.minor = 0;
  } else if (version.size() == 8 && version.starts_with("HTTP/") &&
             is_digits(version.substr(5, 1)) && version[6] == '.' &&
             is_digits(version.substr(7, 1))) {
    return std::unexpected(
        Refusal{505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served"});
  } else {
    return std::unexpected(malformed("malformed HTTP version"));
  }
  head.method = method;
  head.target = target;
  if (lines.size() - 1 > kMaxFields) return std::unexpected(too_large_head("too many fields"));
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.empty() || line.front() == ' ' || line.front() == '\t') {
      return std::unexpected(malformed("obsolete line folding in the request head"));
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return std::unexpected(malformed("a field has no colon"));
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (!is_token(name)) return std::unexpected(malformed("malformed field name"));
    if (name.size() > kMaxFieldNameBytes || value.size() > kMaxFieldValueBytes) {
      return std::unexpected(too_large_head("a field is too long"));
    }
    if (!is_field_value(value)) return std::unexpected(malformed("a control character in a field"));
    head.fields.emplace_back(name, value);
  }
  if (head.all("Host").size() > 1) return std::unexpected(malformed("several Host fields"));
  return head;
}

struct Framing {
  enum class Kind { kNone, kLength, kChunked } kind = Kind::kNone;
  std::uint64_t length = 0;
};

// How the body of a request is delimited (RFC 9112 §6.3), or why that is not certain. Anything
// short of one plain reading is refused, because a proxy in front may read it differently and a
// disagreement lets a client smuggle a second request inside the body of the first.
std::expected<Framing, Refusal> framing_of(const Head& head) {
  const auto lengths = head.all("Content-Length");
  const auto codings = head.all("Transfer-Encoding");
  if (!codings.empty()) {
    if (head.minor == 0) {
      return std::unexpected(bad_framing("Transfer-Encoding in an HTTP/1.0 request"));
    }
    // §6.3 lets a server prefer Transfer-Encoding; refusing is the safe reading of a message
    // that two parsers may frame in two ways.
    if (!lengths.empty()) {
      return std::unexpected(bad_framing("Transfer-Encoding together with Content-Length"));
    }
    std::vector<std::string_view> list;
    for (const std::string* v : codings) {
      for (std::string_view e : list_elements(*v)) list.push_back(e);
    }
    if (std::find(list.begin(), list.end(), std::string_view()) != list.end()) {
      return std::unexpected(bad_framing("an empty transfer coding"));
    }
    if (list.size() == 1 && iequals(list.front(), "chunked")) {
      return Framing{Framing::Kind::kChunked, 0};
    }
    for (std::size_t i = 0; i + 1 < list.size(); ++i) {
      if (iequals(list[i], "chunked")) {
        return std::unexpected(bad_framing("chunked is not the last transfer coding"));
      }
    }
    if (!iequals(list.back(), "chunked")) {
      // §6.3: without chunked last the length cannot be determined: 400, then close.
      return std::unexpected(bad_framing("the last transfer coding is not chunked"));
    }
    // Framed by chunked, but under another coding (gzip, ...) this server does not implement:
    // 501 as §6.1 advises (the body is still not read, and the connection is closed).
    return std::unexpected(Refusal{501, "unsupported_transfer_coding",
                                   "only the chunked transfer coding is supported"});
  }
  // Several fields are refused even when their values agree (RFC 9110 §8.6 allows either): no
  // client needs them, and accepting them only widens what an intermediary must agree with.
  if (lengths.size() > 1) return std::unexpected(bad_framing("several Content-Length fields"));
  if (lengths.size() == 1) {
    const std::string& v = *lengths.front();
    if (!is_digits(v))
      return std::unexpected(bad_framing("Content-Length is not a decimal number"));
    if (v.size() > kMaxContentLengthDigits) {
      return std::unexpected(bad_framing("Content-Length is out of range"));
    }
    return Framing{Framing::Kind::kLength, std::stoull(v)};
  }
  return Framing{};  // no body (RFC 9112 §6.3 rule 7)
}

// Parses a chunk-size line (without its CRLF): 1*HEXDIG, then nothing or BWS ";" extensions
// (which are ignored but must hold no control characters).
std::optional<std::uint64_t> chunk_size(std::string_view line) {
  std::size_t n = 0;
  while (n < line.size() && std::isxdigit(static_cast<unsigned char>(line[n]))) ++n;
  if (n == 0 || n > kMaxChunkSizeDigits) return std::nullopt;
  std::string_view rest = line.substr(n);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  if (!rest.empty() && (rest.front() != ';' || !is_field_value(rest))) return std::nullopt;
  return std::stoull(std::string(line.substr(0, n)), nullptr, 16);
}

class HttpConnection final : public Poco::Net::TCPServerConnection {
 public:
  HttpConnection(const Poco::Net::StreamSocket& socket, const EdgeLimits& limits,
                 std::shared_ptr<const EdgeHandler> handler,
                 std::shared_ptr<HttpConnections> connections, bool tls)
      : TCPServerConnection(socket),
        limits_(limits),
        handler_(std::move(handler)),
        connections_(std::move(connections)),
        tls_(tls) {}

  void run() override {
    const int fd = socket().impl()->sockfd();
    std::string peer;
    int cap = limits_.max_connections_per_client;
    try {
      const Poco::Net::IPAddress host = socket().peerAddress().host();
      peer = host.toString();
      peer_ = peer;
      if (host.isLoopback() && !limits_.cap_loopback) cap = 0;
    } catch (...) {
      return;  // already disconnected
    }
    switch (connections_->add(fd, peer, cap)) {
      case HttpConnections::Admission::kAdmitted:
        break;
      case HttpConnections::Admission::kStopping:
        return;
      case HttpConnections::Admission::kOverCap:
        spdlog::debug("http: refused a connection from {}: {} already open", peer, cap);
        try {
          send(error_response(503, "too_many_connections",
                              fmt::format("at most {} connections per client address", cap)),
               false, false);
        } catch (...) {
        }
        return;
    }
    try {
      serve();
    } catch (...) {
      // A broken connection (reset, send timeout) ends here; nothing to log.
    }
    connections_->remove(fd);
  }

 private:
  enum class Fill { kData, kEof, kTimeout };

  // Appends what the socket has to in_, waiting at most until `deadline`.
  Fill fill(Clock::time_point deadline) {
    if (!(tls_ && socket().available() > 0)) {  // TLS may hold decrypted bytes poll() can't see
      pollfd p{socket().impl()->sockfd(), POLLIN, 0};
      int rc = 0;
      do {
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return Fill::kTimeout;
        rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 60'000)));
      } while ((rc < 0 && errno == EINTR) || (rc == 0 && Clock::now() < deadline));
      if (rc == 0) return Fill::kTimeout;
      if (rc < 0) return Fill::kEof;
    }
    char buf[16 * 1024];
    int n = 0;
    try {
      n = socket().receiveBytes(buf, sizeof buf);
    } catch (const Poco::TimeoutException&) {
      return Fill::kTimeout;
    } catch (...) {
      return Fill::kEof;  // reset, TLS error: the client is gone
    }
    if (n <= 0) return Fill::kEof;
    in_.append(buf, static_cast<std::size_t>(n));
    return Fill::kData;
  }

  std::size_t buffered() const { return in_.size() - pos_; }

  // Reads up to the CRLF CRLF that ends a request head; returns its text without that CRLF CRLF.
  std::expected<std::string, Stop> read_head(Clock::time_point deadline) {
    std::size_t scan = pos_;
    while (true) {
      // Empty lines before a request line are ignored (RFC 9112 §2.2).
      while (buffered() >= 2 && in_[pos_] == '\r' && in_[pos_ + 1] == '\n') pos_ += 2;
      scan = std::max(scan, pos_);
      for (; scan < in_.size(); ++scan) {
        if (in_[scan] != '\n') continue;
        if (scan == pos_ || in_[scan - 1] != '\r') {
          return std::unexpected(Stop{malformed("a line of the request head ends in a bare LF")});
        }
        if (scan - pos_ >= 3 && in_.compare(scan - 3, 4, "\r\n\r\n") == 0) {
          std::string text = in_.substr(pos_, scan - 3 - pos_);
          pos_ = scan + 1;
          return text;
        }
      }
      if (buffered() > kMaxHeadBytes) {
        return std::unexpected(Stop{too_large_head("the request head is too large")});
      }
      switch (fill(deadline)) {
        case Fill::kData:
          break;
        case Fill::kTimeout:
          return std::unexpected(Stop{timed_out("request head")});
        case Fill::kEof:
          return std::unexpected(Stop{});
      }
    }
  }

  // Ensures `n` bytes are buffered.
  std::expected<void, Stop> need(std::size_t n, Clock::time_point deadline) {
    while (buffered() < n) {
      switch (fill(deadline)) {
        case Fill::kData:
          break;
        case Fill::kTimeout:
          return std::unexpected(Stop{timed_out("request body")});
        case Fill::kEof:
          return std::unexpected(Stop{});
      }
    }
    return {};
  }

  // Reads one CRLF-terminated line of at most `max` bytes (without the CRLF) of a chunked body.
  std::expected<std::string, Stop> read_body_line(std::size_t max, Clock::time_point deadline) {
    std::size_t scan = pos_;
    while (true) {
      for (; scan < in_.size(); ++scan) {
        if (in_[scan] != '\n') continue;
        if (scan == pos_ || in_[scan - 1] != '\r') {
          return std::unexpected(Stop{bad_framing("a chunked body line ends in a bare LF")});
        }
        std::string line = in_.substr(pos_, scan - 1 - pos_);
        if (line.find('\r') != std::string::npos) {
          return std::unexpected(Stop{bad_framing("a bare CR in a chunked body line")});
        }
        pos_ = scan + 1;
        return line;
      }
      if (buffered() > max + 2) {
        return std::unexpected(Stop{bad_framing("a chunked body line is too long")});
      }
      if (auto got = need(buffered() + 1, deadline); !got) return std::unexpected(got.error());
    }
  }

  // Reads a chunked body (RFC 9112 §7.1) into `body`. Returns false when it exceeds
  // max_body_bytes (then it is not read further).
  std::expected<bool, Stop> read_chunked(std::string& body, Clock::time_point deadline) {
    while (true) {
      auto line = read_body_line(kMaxChunkLineBytes, deadline);
      if (!line) return std::unexpected(line.error());
      const auto size = chunk_size(*line);
      if (!size) return std::unexpected(Stop{bad_framing("malformed chunk size")});
      if (*size == 0) break;
      if (*size > limits_.max_body_bytes - body.size()) return false;
      if (auto got = need(*size + 2, deadline); !got) return std::unexpected(got.error());
      if (in_.compare(pos_ + *size, 2, "\r\n") != 0) {
        return std::unexpected(Stop{bad_framing("chunk data is not followed by CRLF")});
      }
      body.append(in_, pos_, *size);
      pos_ += *size + 2;
    }
    // The trailer section: field lines up to an empty line; checked, then dropped.
    std::size_t trailer_bytes = 0;
    while (true) {
      auto line = read_body_line(kMaxFieldNameBytes + kMaxFieldValueBytes + 1, deadline);
      if (!line) return std::unexpected(line.error());
      if (line->empty()) return true;
      trailer_bytes += line->size();
      const auto colon = line->find(':');
      if (trailer_bytes > kMaxTrailerBytes || colon == std::string::npos ||
          !is_token(std::string_view(*line).substr(0, colon)) ||
          !is_field_value(std::string_view(*line).substr(colon + 1))) {
        return std::unexpected(Stop{bad_framing("malformed chunked trailer")});
      }
    }
  }

  void send(const ApiResponse& r, bool keep_alive, bool head_only) {
    const auto& reason = Poco::Net::HTTPResponse::getReasonForStatus(
        static_cast<Poco::Net::HTTPResponse::HTTPStatus>(r.status));
    std::string out = fmt::format(
        "HTTP/1.1 {} {}\r\nDate: {}\r\nServer: {}\r\nContent-Type: {}\r\n"
        "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n",
        r.status, reason, http_date(), kServer, r.content_type);
    for (const auto& [k, v] : r.headers) out += fmt::format("{}: {}\r\n", k, v);
    out += fmt::format("Content-Length: {}\r\nConnection: {}\r\n\r\n", r.body.size(),
                       keep_alive ? "Keep-Alive" : "Close");
    if (!head_only) out += r.body;
    // One send() for the whole answer: one segment for the client to wake up for.
    std::size_t sent = 0;
    while (sent < out.size()) {
      const int n = socket().sendBytes(out.data() + sent, static_cast<int>(out.size() - sent));
      if (n <= 0) throw Poco::IOException("send failed");
      sent += static_cast<std::size_t>(n);
    }
  }

  void refuse(const Refusal& r) {
    spdlog::debug("http: refused a request: {} ({})", r.message, r.status);
    send(error_response(r.status, r.code, r.message), false, false);
  }

  // Closing first: stop sending, then read and drop what the client still sends for a moment,
  // so that the close does not reset the connection before the client has read the answer.
  void linger() {
    try {
      socket().shutdownSend();
    } catch (...) {
      return;
    }
    const auto until = Clock::now() + kLinger;
    std::size_t dropped = 0;
    while (dropped < kMaxLingerBytes) {
      in_.clear();
      pos_ = 0;
      if (fill(until) != Fill::kData) return;
      dropped += in_.size();
    }
  }

  void serve() {
    socket().setReceiveTimeout(Poco::Timespan(
        std::chrono::duration_cast<std::chrono::microseconds>(
            std::max({limits_.idle_timeout, limits_.head_timeout, limits_.body_timeout}))
            .count()));
    int remaining = limits_.max_requests > 0 ? limits_.max_requests : -1;  // -1: unlimited
    while (true) {
      in_.erase(0, pos_);
      pos_ = 0;
      if (in_.empty() && fill(Clock::now() + limits_.idle_timeout) != Fill::kData) return;
      if (remaining > 0) --remaining;
      if (!serve_one(remaining != 0)) return;
    }
  }

  // Reads and answers one request; false when the connection is to be closed (and was).
  bool serve_one(bool may_keep_alive) {
    auto text = read_head(Clock::now() + limits_.head_timeout);
    if (!text) return stop(text.error());
    auto head = parse_head(*text);
    if (!head) return stop(Stop{head.error()});
    auto framing = framing_of(*head);
    if (!framing) return stop(Stop{framing.error()});

    bool keep_alive = may_keep_alive && head->keep_alive();
    bool too_large = false;
    std::string body;
    const auto body_deadline = Clock::now() + limits_.body_timeout;
    if (framing->kind != Framing::Kind::kNone) {
      too_large =
          framing->kind == Framing::Kind::kLength && framing->length > limits_.max_body_bytes;
      if (!too_large && head->minor == 1 && iequals(head->first("Expect"), "100-continue")) {
        send_raw("HTTP/1.1 100 Continue\r\n\r\n");
      }
    }
    if (framing->kind == Framing::Kind::kLength && !too_large) {
      const auto n = static_cast<std::size_t>(framing->length);
      if (auto got = need(n, body_deadline); !got) return stop(got.error());
      body = in_.substr(pos_, n);
      pos_ += n;
    } else if (framing->kind == Framing::Kind::kChunked) {
      auto complete = read_chunked(body, body_deadline);
      if (!complete) return stop(complete.error());
      too_large = !*complete;
    }
    if (too_large) {
      keep_alive = false;
      body.clear();
    }

    ApiRequest request;
    request.method = head->method;
    request.target = head->target;
    request.authorization = head->first("Authorization");
    request.content_type = head->first("Content-Type");
    request.body = std::move(body);
    request.peer = peer_;  // for throttling and logs
    ApiResponse answer;
    try {
      answer = (*handler_)(std::move(request), too_large);
    } catch (...) {
      answer = error_response(500, "internal", "internal error");
    }
    send(answer, keep_alive, head->method == "HEAD");
    if (keep_alive) return true;
    linger();
    return false;
  }

  // Answers a refusal (if any), then closes: after lingering, unless the client was too slow
  // (lingering would only hold the thread longer for it).
  bool stop(const Stop& why) {
    if (why.refusal) {
      refuse(*why.refusal);
      if (why.refusal->status != 408) linger();
    }
    return false;
  }

  void send_raw(std::string_view bytes) {
    socket().sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  }

  const EdgeLimits limits_;
  std::shared_ptr<const EdgeHandler> handler_;
  std::shared_ptr<HttpConnections> connections_;
  bool tls_;
  std::string peer_;     // the client's IP address
  std::string in_;       // bytes read and not yet consumed from pos_ on
  std::size_t pos_ = 0;  // start of the unconsumed bytes in in_
};

}  // namespace

HttpConnectionFactory::HttpConnectionFactory(EdgeLimits limits, EdgeHandler handler,
                                             std::shared_ptr<HttpConnections> connections, bool tls)
    : limits_(limits),
      handler_(std::make_shared<const EdgeHandler>(std::move(handler))),
      connections_(std::move(connections)),
      tls_(tls) {}

Poco::Net::TCPServerConnection* HttpConnectionFactory::createConnection(
    const Poco::Net::StreamSocket& socket) {
  return new HttpConnection(socket, limits_, handler_, connections_, tls_);
}

}  // namespace trustgate
