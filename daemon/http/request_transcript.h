#pragma once
// What a RequestReader makes of a byte stream that arrives in given pieces, written down as text
// (each request's head and body, each 100 Continue, the refusal that ends it), so that two
// readings of the same bytes can be compared: where a stream is split into reads must never
// change what is read. For tests and the fuzz target.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace trustgate::http {

// Feeds `stream` to a RequestReader in pieces of the sizes in `pieces` (cycled; a size 0 counts
// as 1), reading every complete request before the next piece, as the edge does. Stops at a
// refusal, a body too large, a request that does not keep the connection alive, or after
// `max_requests`. `max_body_bytes` as EdgeLimits'.
std::string request_transcript(std::string_view stream, std::span<const std::size_t> pieces,
                               std::size_t max_body_bytes, int max_requests);

}  // namespace trustgate::http
