#include "daemon/http/http_connection.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <asio/post.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <array>
#include <type_traits>
#include <utility>

#include "daemon/http/api_json.h"
#include "daemon/http/http_response.h"
#include "daemon/http/request_reader.h"
#include "daemon/http/tls_context.h"

namespace trustgate::http {
namespace {

using Clock = std::chrono::steady_clock;
using Tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<Tcp::socket>;

// After the server closes first: how long, and how much, it reads of what the client still sends.
constexpr std::chrono::milliseconds kLinger{1000};
constexpr std::size_t kMaxLingerBytes = 1024 * 1024;
// Answers not yet written beyond this stop the reading of further pipelined requests until the
// client has read them, so that a client that sends but never reads cannot grow the buffer.
constexpr std::size_t kMaxUnsentBytes = 256 * 1024;
constexpr std::size_t kTlsReadBytes = 4096;

Refusal timed_out(std::string_view what) {
  return {408, "request_timeout", fmt::format("the {} did not arrive in time", what)};
}

template <typename Stream>
class StreamConnection final : public Connection,
                               public std::enable_shared_from_this<StreamConnection<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  StreamConnection(EventLoop& loop, Stream stream, std::string peer, std::optional<Refusal> refusal)
      : loop_(loop),
        shared_(loop.shared),
        stream_(std::move(stream)),
        peer_(std::move(peer)),
        admitted_(!refusal),
        refusal_(std::move(refusal)),
        reader_(shared_.limits.max_body_bytes),
        remaining_(shared_.limits.max_requests > 0 ? shared_.limits.max_requests : -1) {}

  void start() {
    if constexpr (kTls) {
      set_deadline(Deadline::kHandshake, shared_.limits.head_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](
                                                                  const std::error_code& ec) {
        if (self->closed_) return;
        if (ec) {
          spdlog::debug("http: TLS handshake with {} failed: {}", self->peer_, ec.message());
          return self->close();
        }
        self->certificate_names_ = peer_certificate_names(self->stream_.native_handle());
        self->begin();
      });
    } else {
      std::error_code ec;
      socket().non_blocking(true, ec);
      socket().set_option(Tcp::no_delay(true), ec);
      begin();
    }
  }

  void check_deadline(Clock::time_point now) override {
    if (closed_) return;
    if (writing_ && now - write_started_ > shared_.limits.idle_timeout) return close();
    if (deadline_ == Deadline::kNone || now < deadline_at_) return;
    switch (deadline_) {
      case Deadline::kHead:
        return refuse(timed_out("request head"));
      case Deadline::kBody:
        return refuse(timed_out("request body"));
      default:  // idle, handshake, linger: nothing more to say
        return close();
    }
  }

  void abort() override { close(); }

 private:
  enum class Deadline { kNone, kHandshake, kIdle, kHead, kBody, kLinger };

  Tcp::socket& socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  void set_deadline(Deadline d, std::chrono::milliseconds after) {
    deadline_ = d;
    deadline_at_ = Clock::now() + after;
  }

  void begin() {
    if (refusal_) {
      observe_refusal(refusal_->status, refusal_->code);
      append_response(out_next_,
                      error_response(refusal_->status, refusal_->code, refusal_->message), false,
                      false);
      closing_ = true;
      linger_ = false;
      return flush();
    }
    progress();
  }

  void observe_refusal(int status, const std::string& code) {
    if (!shared_.on_refusal) return;
    try {
      shared_.on_refusal(status, code);
    } catch (...) {
    }
  }

  // Reads when nothing stops it: not while a request is being handled, answers wait unsent, or
  // the connection is closing.
  void want_read() {
    if (reading_ || closed_ || handling_ || (closing_ && !lingering_)) return;
    if (!lingering_ && out_.size() + out_next_.size() > kMaxUnsentBytes) return;
    reading_ = true;
    auto self = this->shared_from_this();
    if constexpr (kTls) {
      if (!tls_buffer_) tls_buffer_ = std::make_unique<std::array<char, kTlsReadBytes>>();
      stream_.async_read_some(asio::buffer(*tls_buffer_),
                              [self](const std::error_code& ec, std::size_t n) {
                                self->reading_ = false;
                                if (self->closed_) return;
                                if (self->lingering_) return self->tls_shutdown();
                                if (ec) return self->on_end();
                                self->on_bytes(std::string_view(self->tls_buffer_->data(), n));
                              });
    } else {
      // Wait for readability, then read into the loop's buffer: no buffer is held while idle.
      socket().async_wait(Tcp::socket::wait_read, [self](const std::error_code& ec) {
        self->reading_ = false;
        if (self->closed_) return;
        if (ec) return self->close();
        std::error_code read_ec;
        std::vector<char>& buf = self->loop_.read_buffer;
        const std::size_t n = self->socket().read_some(asio::buffer(buf), read_ec);
        if (read_ec == asio::error::would_block || read_ec == asio::error::try_again) {
          return self->want_read();
        }
        if (read_ec) return self->on_end();
        self->on_bytes(std::string_view(buf.data(), n));
      });
    }
  }

  void on_bytes(std::string_view bytes) {
    if (lingering_) {
      lingered_ += bytes.size();
      if (lingered_ >= kMaxLingerBytes) return close();
      return want_read();
    }
    if (closing_) return;  // the last answer is being written; nothing more is read
    reader_.append(bytes);
    progress();
  }

  // The client closed its side or the connection broke.
  void on_end() { close(); }

  // Reads and answers what is complete, in order, until a request must wait (more bytes, the
  // worker pool, or the client reading its answers).
  void progress() {
    while (!closed_ && !closing_ && !handling_) {
      if (out_.size() + out_next_.size() > kMaxUnsentBytes) break;
      const RequestReader::Step step = reader_.next();
      if (step == RequestReader::Step::kNeedMore) {
        arm_read_deadline();
        break;
      }
      if (step == RequestReader::Step::kContinue) {
        out_next_ += "HTTP/1.1 100 Continue\r\n\r\n";
        continue;
      }
      if (step == RequestReader::Step::kRefused) {
        refuse(reader_.refusal());
        return;
      }
      dispatch(reader_.take());
    }
    flush();
    want_read();
  }

  // The deadline of what is being waited for: the next request (idle), the rest of a head, or
  // the rest of a body, each from the moment its wait began.
  void arm_read_deadline() {
    switch (reader_.phase()) {
      case RequestReader::Phase::kIdle:
        if (deadline_ != Deadline::kIdle)
          set_deadline(Deadline::kIdle, shared_.limits.idle_timeout);
        break;
      case RequestReader::Phase::kHead:
        if (deadline_ != Deadline::kHead)
          set_deadline(Deadline::kHead, shared_.limits.head_timeout);
        break;
      case RequestReader::Phase::kBody:
        if (deadline_ != Deadline::kBody)
          set_deadline(Deadline::kBody, shared_.limits.body_timeout);
        break;
    }
  }

  void refuse(const Refusal& r) {
    spdlog::debug("http: refused a request from {}: {} ({})", peer_, r.message, r.status);
    observe_refusal(r.status, r.code);
    append_response(out_next_, error_response(r.status, r.code, r.message), false, false);
    closing_ = true;
    // A client too slow to send its request is not waited for again.
    linger_ = r.status != 408;
    deadline_ = Deadline::kNone;
    flush();
  }

  void dispatch(ReadRequest read) {
    deadline_ = Deadline::kNone;  // none while the request is handled
    if (remaining_ > 0) --remaining_;
    const bool keep_alive = read.head.keep_alive() && remaining_ != 0 && !read.body_too_large;
    const bool head_only = read.head.method == "HEAD";
    ApiRequest request;
    request.method = std::move(read.head.method);
    request.target = std::move(read.head.target);
    request.authorization = read.head.first("Authorization");
    request.content_type = read.head.first("Content-Type");
    request.body = std::move(read.body);
    request.peer = peer_;  // for throttling and logs
    request.certificate_names = certificate_names_;
    const bool too_large = read.body_too_large;
    const EdgeHandler& handler = shared_.handler;
    if (handler.runs_inline && handler.runs_inline(request)) {
      answer(call(handler, std::move(request), too_large), keep_alive, head_only);
      return;
    }
    handling_ = true;
    asio::post(shared_.workers, [self = this->shared_from_this(), request = std::move(request),
                                 too_large, keep_alive, head_only]() mutable {
      ApiResponse response = call(self->shared_.handler, std::move(request), too_large);
      asio::post(self->loop_.io, [self, response = std::move(response), keep_alive, head_only] {
        self->handling_ = false;
        if (self->closed_) return;
        self->answer(response, keep_alive, head_only);
        self->progress();
      });
    });
  }

  static ApiResponse call(const EdgeHandler& handler, ApiRequest request, bool too_large) {
    try {
      return handler.handle(std::move(request), too_large);
    } catch (...) {
      return error_response(500, "internal", "internal error");
    }
  }

  void answer(const ApiResponse& response, bool keep_alive, bool head_only) {
    append_response(out_next_, response, keep_alive, head_only);
    if (!keep_alive) {
      closing_ = true;
      linger_ = true;
    }
  }

  // Writes what is waiting (one write for every answer ready: one segment for the client to wake
  // up for); when closing and all is written, closes.
  void flush() {
    if (closed_ || writing_) return;
    if (out_next_.empty()) {
      if (closing_) finish();
      return;
    }
    std::swap(out_, out_next_);
    writing_ = true;
    write_started_ = Clock::now();
    asio::async_write(stream_, asio::buffer(out_),
                      [self = this->shared_from_this()](const std::error_code& ec, std::size_t) {
                        self->writing_ = false;
                        self->out_.clear();
                        if (self->closed_) return;
                        if (ec) return self->close();
                        if (!self->out_next_.empty() || self->closing_) return self->flush();
                        self->progress();
                      });
  }

  // Everything is written on a connection the server closes: linger (or not), then close.
  void finish() {
    if (!linger_ || lingering_) {
      if (!lingering_) close();
      return;
    }
    lingering_ = true;
    set_deadline(Deadline::kLinger, kLinger);
    if constexpr (kTls) {
      // The TLS stream cannot shut down under a read in progress: cancel it first, and its
      // handler shuts down.
      if (reading_) {
        std::error_code ec;
        socket().cancel(ec);
        return;
      }
      tls_shutdown();
    } else {
      std::error_code ec;
      socket().shutdown(Tcp::socket::shutdown_send, ec);
      if (ec) return close();
      want_read();
    }
  }

  // close_notify, then wait (within the linger deadline) for the client's.
  void tls_shutdown() {
    if constexpr (kTls) {
      stream_.async_shutdown(
          [self = this->shared_from_this()](const std::error_code&) { self->close(); });
    }
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    std::error_code ec;
    socket().close(ec);  // cancels what is outstanding; their handlers see closed_
    if (admitted_) shared_.admission.release(peer_);
    // The last reference may be the loop's: keep this alive until the call returns.
    auto self = this->shared_from_this();
    loop_.connections.erase(self);
  }

  EventLoop& loop_;
  EdgeShared& shared_;
  Stream stream_;
  const std::string peer_;  // the client's IP address
  const bool admitted_;
  std::optional<Refusal> refusal_;  // answered at once, for a connection over the caps
  std::optional<std::vector<std::string>> certificate_names_;
  RequestReader reader_;
  int remaining_;               // requests this connection may still make; -1: unlimited
  std::string out_, out_next_;  // being written; waiting to be written
  std::unique_ptr<std::array<char, kTlsReadBytes>> tls_buffer_;
  Clock::time_point write_started_;
  Deadline deadline_ = Deadline::kNone;
  Clock::time_point deadline_at_;
  std::size_t lingered_ = 0;
  bool reading_ = false, writing_ = false, handling_ = false;
  bool closing_ = false;  // the last answer is queued; nothing more is read as a request
  bool linger_ = false, lingering_ = false, closed_ = false;
};

}  // namespace

void serve_connection(EventLoop& loop, Tcp::socket socket, asio::ssl::context* tls,
                      std::string peer, std::optional<Refusal> refusal) {
  std::shared_ptr<Connection> connection;
  if (tls != nullptr) {
    auto c = std::make_shared<StreamConnection<TlsStream>>(loop, TlsStream(std::move(socket), *tls),
                                                           std::move(peer), std::move(refusal));
    connection = c;
    loop.connections.insert(connection);
    c->start();
  } else {
    auto c = std::make_shared<StreamConnection<Tcp::socket>>(loop, std::move(socket),
                                                             std::move(peer), std::move(refusal));
    connection = c;
    loop.connections.insert(connection);
    c->start();
  }
}

}  // namespace trustgate::http
