// Fuzz target: the strict HTTP/1.1 request parser (daemon/http/http_request_parser.h). One input
// is the byte stream a client sends on one connection. It arrives in pieces of varying size (as
// recv() would hand it over) and is read as HttpConnection::serve_one reads it: head, parse,
// framing, then a Content-Length or chunked body, request after request while the connection
// would be kept alive; end of input is the client going away.
// Contract under test: every stream ends in requests read and a refusal or the end, never a crash
// or a hang, and what is accepted holds to the parser's promises (checked below: a violation
// aborts, so the fuzzer records it as a crash).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/http/http_request_parser.h"

namespace {

constexpr std::size_t kMaxBodyBytes = 64 * 1024;  // EdgeLimits' default
constexpr int kMaxRequests = 16;

void check(bool holds) {
  if (!holds) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace http = trustgate::http;
  const std::string_view stream(reinterpret_cast<const char*>(data), size);
  static constexpr std::array<std::size_t, 6> kPieces = {1, 3, 16, 2, 255, 4096};
  std::size_t sent = 0;
  std::size_t piece = 0;
  http::RequestInput input;
  input.more = [&]() -> std::expected<void, http::Stop> {
    if (sent == stream.size()) return std::unexpected(http::Stop{});
    const std::size_t n = std::min(kPieces[piece++ % kPieces.size()], stream.size() - sent);
    input.in.append(stream.substr(sent, n));
    sent += n;
    return {};
  };

  for (int i = 0; i < kMaxRequests; ++i) {
    input.in.erase(0, input.pos);
    input.pos = 0;
    if (input.in.empty() && !input.more()) return 0;
    auto text = http::read_head(input);
    if (!text) return 0;
    check(text->find("\r\n\r\n") == std::string::npos);
    auto head = http::parse_head(*text);
    if (!head) {
      check(head.error().status >= 400 && head.error().status < 600);
      return 0;
    }
    check(!head->method.empty() && !head->target.empty());
    auto framing = http::framing_of(*head);
    if (!framing) return 0;
    std::string body;
    if (framing->kind == http::Framing::Kind::kLength) {
      if (framing->length > kMaxBodyBytes) return 0;  // 413, then close
      const auto n = static_cast<std::size_t>(framing->length);
      if (!input.need(n)) return 0;
      body = input.in.substr(input.pos, n);
      input.pos += n;
    } else if (framing->kind == http::Framing::Kind::kChunked) {
      auto complete = http::read_chunked(input, kMaxBodyBytes, body);
      if (!complete) return 0;
      if (!*complete) return 0;  // 413, then close
      check(body.size() <= kMaxBodyBytes);
    }
    check(input.pos <= input.in.size());
    (void)head->first("Authorization");
    (void)http::iequals(head->first("Expect"), "100-continue");
    if (!head->keep_alive()) return 0;
  }
  return 0;
}
