#include "daemon/http/request_reader.h"

#include <utility>

namespace trustgate::http {

RequestReader::RequestReader(std::size_t max_body_bytes) : max_body_bytes_(max_body_bytes) {
  // Every byte that has arrived is already in the buffer: a read that needs more stops pending.
  input_.more = [] { return std::expected<void, Stop>(std::unexpected(Stop{{}, true})); };
}

RequestReader::Phase RequestReader::phase() const {
  if (in_body_) return Phase::kBody;
  // Empty lines before a request line are skipped (and consumed) by read_head; they do not
  // start a request.
  std::string_view rest = std::string_view(input_.in).substr(input_.pos);
  while (rest.starts_with("\r\n")) rest.remove_prefix(2);
  return rest.empty() ? Phase::kIdle : Phase::kHead;
}

RequestReader::Step RequestReader::refuse(Refusal r) {
  refusal_ = std::move(r);
  return Step::kRefused;
}

RequestReader::Step RequestReader::stopped(const Stop& stop) {
  if (stop.pending) return Step::kNeedMore;
  // `more` never reports the client gone; a Stop without a refusal cannot happen here.
  return refuse(stop.refusal ? *stop.refusal
                             : Refusal{400, "malformed_request", "malformed request"});
}

RequestReader::Step RequestReader::next() {
  if (!in_body_) {
    input_.compact();
    if (input_.buffered() == 0) return Step::kNeedMore;
    auto text = read_head(input_);
    if (!text) return stopped(text.error());
    auto head = parse_head(*text);
    if (!head) return refuse(head.error());
    auto framing = framing_of(*head);
    if (!framing) return refuse(framing.error());
    request_ = ReadRequest{std::move(*head), {}, false};
    framing_ = *framing;
    chunked_ = {};
    if (framing_.kind == Framing::Kind::kNone) return Step::kRequest;
    if (framing_.kind == Framing::Kind::kLength && framing_.length > max_body_bytes_) {
      request_.body_too_large = true;  // not read: the connection closes after the 413
      return Step::kRequest;
    }
    in_body_ = true;
    if (request_.head.minor == 1 && iequals(request_.head.first("Expect"), "100-continue")) {
      return Step::kContinue;
    }
  }
  if (framing_.kind == Framing::Kind::kLength) {
    const auto n = static_cast<std::size_t>(framing_.length);
    if (input_.buffered() < n) return Step::kNeedMore;
    request_.body = input_.in.substr(input_.pos, n);
    input_.pos += n;
  } else {
    auto complete = read_chunked(input_, max_body_bytes_, request_.body, chunked_);
    if (!complete) return stopped(complete.error());
    if (!*complete) {
      request_.body.clear();
      request_.body_too_large = true;
    }
  }
  in_body_ = false;
  return Step::kRequest;
}

ReadRequest RequestReader::take() {
  in_body_ = false;
  return std::move(request_);
}

}  // namespace trustgate::http
