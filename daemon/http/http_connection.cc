#include "daemon/http/http_connection.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <asio/post.hpp>

#include <algorithm>
#include <type_traits>
#include <utility>

#include "daemon/http/api_json.h"
#include "daemon/http/http_response.h"
#include "daemon/http/request_reader.h"
#include "daemon/http/transport.h"

namespace trustgate::http {
namespace {

using Clock = std::chrono::steady_clock;
using Tcp = asio::ip::tcp;

// After the server closes first: how long, and how much, it reads of what the client still sends.
constexpr std::chrono::milliseconds kLinger{1000};
constexpr std::size_t kMaxLingerBytes = 1024 * 1024;
// Answers not yet written beyond this stop the reading of further pipelined requests until the
// client has read them, so that a client that sends but never reads cannot grow the buffer.
constexpr std::size_t kMaxUnsentBytes = 256 * 1024;
// Read at most this much per readiness before letting the other connections of the loop go.
constexpr std::size_t kMaxReadPerTurn = 64 * 1024;

Refusal timed_out(std::string_view what) {
  return {408, "request_timeout", fmt::format("the {} did not arrive in time", what)};
}

template <typename Transport>
class TransportConnection final
    : public Connection,
      public std::enable_shared_from_this<TransportConnection<Transport>> {
 public:
  template <typename... TransportArgs>
  TransportConnection(EventLoop& loop, Tcp::socket socket, std::string peer,
                      std::optional<Refusal> refusal, TransportArgs... args)
      : loop_(loop),
        shared_(loop.shared),
        socket_(std::move(socket)),
        transport_(socket_, args...),
        peer_(std::move(peer)),
        admitted_(!refusal),
        refusal_(std::move(refusal)),
        reader_(shared_.limits.max_body_bytes),
        remaining_(shared_.limits.max_requests > 0 ? shared_.limits.max_requests : -1) {}

  void start() {
    std::error_code ec;
    socket_.non_blocking(true, ec);
    socket_.set_option(Tcp::no_delay(true), ec);
    if (ec) return close();
    set_deadline(Deadline::kHandshake, shared_.limits.head_timeout);
    handshake();
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

  void set_deadline(Deadline d, std::chrono::milliseconds after) {
    deadline_ = d;
    deadline_at_ = Clock::now() + after;
  }

  // Waits until the socket is readable or writable, then calls `then` (unless closed by then).
  template <typename Then>
  void wait(Io::Wait what, Then then) {
    socket_.async_wait(what == Io::Wait::kWrite ? Tcp::socket::wait_write : Tcp::socket::wait_read,
                       [self = this->shared_from_this(), then](const std::error_code& ec) {
                         if (self->closed_) return;
                         if (ec) return self->close();
                         (self.get()->*then)();
                       });
  }

  void handshake() {
    const Io io = transport_.handshake();
    if (io.wait == Io::Wait::kEnd) {
      spdlog::debug("http: TLS handshake with {} failed", peer_);
      return close();
    }
    if (io.wait != Io::Wait::kNone) return wait(io.wait, &TransportConnection::handshake);
    certificate_names_ = transport_.certificate_names();
    begin();
  }

  void begin() {
    if (refusal_) {
      observe_refusal(refusal_->status, refusal_->code);
      append_response(out_next_,
                      error_response(refusal_->status, refusal_->code, refusal_->message), false,
                      false);
      closing_ = true;
      linger_ = false;
      return settle();
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

  std::size_t unsent() const { return out_.size() - sent_ + out_next_.size(); }

  // Reads when nothing stops it: not while a request is being handled, answers wait unsent, or
  // the last answer is being written.
  void want_read() {
    if (reading_ || closed_ || handling_ || client_done_ || (closing_ && !lingering_)) return;
    if (!lingering_ && unsent() > kMaxUnsentBytes) return;
    reading_ = true;
    if (transport_.buffered()) {
      // TLS holds bytes it has read from the socket: readiness would not be signalled for them.
      asio::post(loop_.io, [self = this->shared_from_this()] {
        if (!self->closed_) self->read_now();
      });
    } else {
      wait(read_wait_, &TransportConnection::read_now);
    }
  }

  // Reads what has arrived (into the loop's buffer: no buffer is held while idle), then reads
  // and answers what is complete.
  void read_now() {
    reading_ = false;
    read_wait_ = Io::Wait::kRead;
    std::vector<char>& buf = loop_.read_buffer;
    std::size_t total = 0;
    while (total < kMaxReadPerTurn) {
      const Io io = transport_.read(buf.data(), buf.size());
      if (io.wait == Io::Wait::kEnd) {
        // The client closed its side (or broke): what it sent before is still answered.
        if (lingering_) return close();
        client_done_ = true;
        break;
      }
      if (io.wait != Io::Wait::kNone) {
        read_wait_ = io.wait;  // TLS may need to write before it can read on
        break;
      }
      total += io.bytes;
      if (lingering_) {
        lingered_ += io.bytes;
        if (lingered_ >= kMaxLingerBytes) return close();
      } else if (!closing_) {
        reader_.append(std::string_view(buf.data(), io.bytes));
      }
    }
    if (lingering_ || closing_) return want_read();
    progress();
  }

  // Reads and answers what is complete, in order, until a request must wait (more bytes, the
  // worker pool, or the client reading its answers).
  void progress() {
    while (!closed_ && !closing_ && !handling_) {
      if (unsent() > kMaxUnsentBytes) {
        flush();
        if (writing_) break;
      }
      const RequestReader::Step step = reader_.next();
      if (step == RequestReader::Step::kNeedMore) {
        arm_read_deadline();
        break;
      }
      if (step == RequestReader::Step::kContinue) {
        out_next_ += "HTTP/1.1 100 Continue\r\n\r\n";
        continue;
      }
      if (step == RequestReader::Step::kRefused) return refuse(reader_.refusal());
      dispatch(reader_.take());
    }
    settle();
    // Everything the client sent before closing its side is answered: done.
    if (client_done_ && !closed_ && !closing_ && !handling_ && !writing_ && out_next_.empty()) {
      return close();
    }
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
    settle();
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

  // Writes what waits; once all is written on a connection that is closing, finishes it.
  void settle() {
    flush();
    if (!closed_ && !writing_ && closing_ && out_next_.empty()) finish();
  }

  // Writes what is waiting, as far as the socket takes it now (all the answers that are ready
  // in one write: one segment for the client to wake up for); the rest when it is writable.
  void flush() {
    if (closed_ || writing_ || out_next_.empty()) return;
    std::swap(out_, out_next_);
    out_next_.clear();
    sent_ = 0;
    writing_ = true;
    write_started_ = Clock::now();
    write_now();
  }

  // Called by flush, and again when the socket is writable; returns with writing_ false once
  // everything is written (then the caller carries on), or with a wait set up.
  void write_now() {
    while (sent_ < out_.size()) {
      const Io io = transport_.write(out_.data() + sent_, out_.size() - sent_);
      if (io.wait == Io::Wait::kEnd) return close();
      if (io.wait != Io::Wait::kNone) return wait(io.wait, &TransportConnection::written_later);
      sent_ += io.bytes;
    }
    writing_ = false;
    out_.clear();
    sent_ = 0;
  }

  void written_later() {
    write_now();
    if (closed_ || writing_) return;
    if (!out_next_.empty()) flush();
    if (writing_) return;
    if (closing_) return settle();
    progress();
  }

  // Everything is written on a connection the server closes: linger (or not), then close.
  void finish() {
    if (lingering_) return;
    // (Once the client has closed its side, everything it sent was read: nothing to drain.)
    if (!linger_ || client_done_) return close();
    lingering_ = true;
    set_deadline(Deadline::kLinger, kLinger);
    transport_.close_notify();
    std::error_code ec;
    socket_.shutdown(Tcp::socket::shutdown_send, ec);
    if (ec) return close();
    want_read();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    std::error_code ec;
    socket_.close(ec);  // cancels the wait outstanding; its handler sees closed_
    if (admitted_) shared_.admission.release(peer_);
    // The last reference may be the loop's: keep this alive until the call returns.
    auto self = this->shared_from_this();
    loop_.connections.erase(self);
  }

  EventLoop& loop_;
  EdgeShared& shared_;
  Tcp::socket socket_;
  Transport transport_;     // over socket_
  const std::string peer_;  // the client's IP address
  const bool admitted_;
  std::optional<Refusal> refusal_;  // answered at once, for a connection over the caps
  std::optional<std::vector<std::string>> certificate_names_;
  RequestReader reader_;
  int remaining_;               // requests this connection may still make; -1: unlimited
  std::string out_, out_next_;  // being written (from sent_ on); waiting to be written
  std::size_t sent_ = 0;
  Clock::time_point write_started_;
  Deadline deadline_ = Deadline::kNone;
  Clock::time_point deadline_at_;
  std::size_t lingered_ = 0;
  Io::Wait read_wait_ = Io::Wait::kRead;  // what the next read waits for
  bool reading_ = false, writing_ = false, handling_ = false;
  bool closing_ = false;      // the last answer is queued; nothing more is read as a request
  bool client_done_ = false;  // the client sent its last byte (end of stream)
  bool linger_ = false, lingering_ = false, closed_ = false;
};

template <typename Transport, typename... Args>
void start_connection(EventLoop& loop, Tcp::socket socket, std::string peer,
                      std::optional<Refusal> refusal, Args... args) {
  auto c = std::make_shared<TransportConnection<Transport>>(
      loop, std::move(socket), std::move(peer), std::move(refusal), args...);
  loop.connections.insert(c);
  c->start();
}

}  // namespace

void serve_connection(EventLoop& loop, Tcp::socket socket, asio::ssl::context* tls,
                      std::string peer, std::optional<Refusal> refusal) {
  if (tls != nullptr) {
    start_connection<TlsTransport>(loop, std::move(socket), std::move(peer), std::move(refusal),
                                   tls->native_handle());
  } else {
    start_connection<PlainTransport>(loop, std::move(socket), std::move(peer), std::move(refusal));
  }
}

}  // namespace trustgate::http
