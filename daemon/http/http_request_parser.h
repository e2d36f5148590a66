#pragma once
// The strict HTTP/1.1 request parsing of the API's connections (http_connection.h), apart from
// the socket so that it can be fuzzed and tested on bytes: finding and parsing a request head,
// deciding how its body is framed, and decoding a chunked body. Nothing here reads a socket or
// a clock: the reads that need more bytes ask `more`, which the connection backs with its socket
// and deadline.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trustgate::http {

// A request refused at the edge: answered with this JSON error, then the connection is closed.
struct Refusal {
  int status;
  std::string code;
  std::string message;
};

// Why reading a request stopped: a refusal to answer, (none) the client is gone, or `pending`:
// not all of it has arrived yet. A read that stops pending leaves its input so that the same
// call, made again once more bytes are buffered, carries on where it stopped (resumable reads,
// for an event-driven connection whose `more` never waits).
struct Stop {
  std::optional<Refusal> refusal;
  bool pending = false;
};

// ASCII case-insensitive comparison (field names, tokens).
bool iequals(std::string_view a, std::string_view b);

struct Head {
  std::string method;
  std::string target;
  int minor = 1;                                            // HTTP/1.<minor>
  std::vector<std::pair<std::string, std::string>> fields;  // values OWS-trimmed

  std::vector<const std::string*> all(std::string_view name) const;
  std::string first(std::string_view name) const;  // "" when absent
  bool has_token(std::string_view name, std::string_view token) const;
  // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
  bool keep_alive() const;
};

// Parses a request head: `text` is everything before the CRLF CRLF that ends it, its lines
// separated by CRLF (bare CR or LF refused). Strict (RFC 9112 §3, §5): one SP between the parts
// of the request line, no whitespace in or before a field name, no obsolete line folding.
std::expected<Head, Refusal> parse_head(std::string_view text);

struct Framing {
  enum class Kind { kNone, kLength, kChunked } kind = Kind::kNone;
  std::uint64_t length = 0;
};

// How the body of a request is delimited (RFC 9112 §6.3), or why that is not certain. Anything
// short of one plain reading is refused, because a proxy in front may read it differently and a
// disagreement lets a client smuggle a second request inside the body of the first.
std::expected<Framing, Refusal> framing_of(const Head& head);

// Parses a chunk-size line (without its CRLF): 1*HEXDIG, then nothing or BWS ";" extensions
// (which are ignored but must hold no control characters).
std::optional<std::uint64_t> chunk_size(std::string_view line);

// The bytes of a connection read and not yet consumed: `in` from `pos` on. `more` appends at
// least one byte to `in`, or returns the Stop that ends the read (time out, client gone, or
// pending: nothing more yet).
struct RequestInput {
  std::string in;
  std::size_t pos = 0;
  std::size_t scanned = 0;  // read_head's progress through a head not yet complete (index in `in`)
  std::function<std::expected<void, Stop>()> more;

  std::size_t buffered() const { return in.size() - pos; }
  // Ensures `n` bytes are buffered.
  std::expected<void, Stop> need(std::size_t n);
  // Drops the consumed bytes (and gives their memory back once nothing is buffered, so that an
  // idle connection holds no buffer).
  void compact();
};

// Reads up to the CRLF CRLF that ends a request head (empty lines before it are skipped);
// returns its text without that CRLF CRLF and consumes it. A head over 64 KiB is refused (431).
std::expected<std::string, Stop> read_head(RequestInput& input);

// Where a chunked body's reading stopped, for resuming it after a pending Stop.
struct ChunkedProgress {
  std::optional<std::uint64_t> chunk;  // the size of a chunk whose size line was consumed
  bool trailer = false;                // the last chunk was read; the trailer section follows
  std::size_t trailer_bytes = 0;
};

// Reads a chunked body (RFC 9112 §7.1) into `body` and consumes it, trailer included. Returns
// false when it exceeds `max_body_bytes` (then it is not read further). After a pending Stop,
// call again with the same `body` and `progress`.
std::expected<bool, Stop> read_chunked(RequestInput& input, std::size_t max_body_bytes,
                                       std::string& body, ChunkedProgress& progress);
inline std::expected<bool, Stop> read_chunked(RequestInput& input, std::size_t max_body_bytes,
                                              std::string& body) {
  ChunkedProgress progress;
  return read_chunked(input, max_body_bytes, body, progress);
}

}  // namespace trustgate::http
