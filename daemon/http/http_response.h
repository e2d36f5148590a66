#pragma once
// The bytes of an HTTP/1.1 answer: status line with the reason phrase of its status (RFC 9110
// §15), the headers every answer carries, and the body framed by Content-Length.
#include <string>

#include "daemon/http/api_types.h"

namespace trustgate::http {

// Appends `r` to `out`. `keep_alive`: "Connection: Keep-Alive", else "Close". `head_only`: the
// headers of a HEAD answer, without the body (Content-Length still the body's).
void append_response(std::string& out, const ApiResponse& r, bool keep_alive, bool head_only);

// The RFC 9110 IMF-fixdate of the current second (cached per thread, formatted once a second).
const std::string& http_date();

}  // namespace trustgate::http
