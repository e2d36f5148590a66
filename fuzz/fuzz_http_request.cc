// Fuzz target: the strict HTTP/1.1 request reading of the edge (daemon/http/request_reader.h
// over http_request_parser.h). One input is the byte stream a client sends on one connection; it
// is read as the event-driven connection reads it, in pieces of varying size (as reads hand them
// over), request after request while the connection would be kept alive.
// Contract under test: never a crash or a hang, and the oracle: the same bytes read in one piece,
// byte by byte, and in the varying pieces give the same requests and the same refusal (a
// difference aborts, so the fuzzer records it as a crash).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daemon/http/request_transcript.h"

namespace {

constexpr std::size_t kMaxBodyBytes = 64 * 1024;  // EdgeLimits' default
constexpr int kMaxRequests = 16;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace http = trustgate::http;
  const std::string_view stream(reinterpret_cast<const char*>(data), size);
  static constexpr std::array<std::size_t, 6> kPieces = {1, 3, 16, 2, 255, 4096};
  static constexpr std::array<std::size_t, 1> kBytes = {1};
  const std::string whole = http::request_transcript(stream, {}, kMaxBodyBytes, kMaxRequests);
  if (http::request_transcript(stream, kPieces, kMaxBodyBytes, kMaxRequests) != whole) std::abort();
  if (size <= 4096 &&
      http::request_transcript(stream, kBytes, kMaxBodyBytes, kMaxRequests) != whole) {
    std::abort();
  }
  return 0;
}
