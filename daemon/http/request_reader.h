#pragma once
// Assembles the requests of one connection from its bytes as they arrive, in any pieces: the
// event-driven edge appends what a read returned and asks for the next step, never waiting.
// The parsing is http_request_parser.h's (strict, RFC 9112); this only keeps its place between
// pieces, so that a request split anywhere reads exactly as the same bytes read at once.
#include <cstddef>
#include <string>
#include <string_view>

#include "daemon/http/http_request_parser.h"

namespace trustgate::http {

struct ReadRequest {
  Head head;
  std::string body;
  // The body exceeds the limit and was not read (body is empty): answer 413, then close.
  bool body_too_large = false;
};

class RequestReader {
 public:
  explicit RequestReader(std::size_t max_body_bytes);

  void append(std::string_view bytes) { input_.in.append(bytes); }

  enum class Step {
    kNeedMore,  // nothing complete: append more bytes, then call again
    kContinue,  // the head asks for "100 Continue": send it, then call again
    kRequest,   // a request is complete: take() it
    kRefused,   // answer refusal() and close: nothing after it may be read as a request
  };
  Step next();
  ReadRequest take();  // after kRequest; the reader then starts on the next request
  const Refusal& refusal() const { return refusal_; }

  // Where the current request stands, for its deadlines: kIdle between requests (no byte of the
  // next one has arrived), kHead from its first byte to the end of its head, kBody then.
  enum class Phase { kIdle, kHead, kBody };
  Phase phase() const;
  std::size_t buffered() const { return input_.buffered(); }

 private:
  Step refuse(Refusal r);
  Step stopped(const Stop& stop);

  std::size_t max_body_bytes_;
  RequestInput input_;
  bool in_body_ = false;  // the head was parsed; reading its body
  Framing framing_;
  ChunkedProgress chunked_;
  ReadRequest request_;
  Refusal refusal_{};
};

}  // namespace trustgate::http
