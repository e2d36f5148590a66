#include "daemon/http/http_request_parser.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace trustgate::http {
namespace {

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

Refusal malformed(std::string message) { return {400, "malformed_request", std::move(message)}; }
Refusal bad_framing(std::string message) { return {400, "bad_framing", std::move(message)}; }
Refusal too_large_head(std::string message) {
  return {431, "headers_too_large", std::move(message)};
}

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

// Reads one CRLF-terminated line of at most `max` bytes (without the CRLF) of a chunked body.
std::expected<std::string, Stop> read_body_line(RequestInput& input, std::size_t max) {
  std::string& in = input.in;
  std::size_t scan = input.pos;
  // Scanned no further than a line of `max` bytes can reach, so that where the bytes were split
  // into reads cannot change the verdict.
  const std::size_t limit = input.pos + max + 2;
  while (true) {
    for (; scan < std::min(in.size(), limit); ++scan) {
      if (in[scan] != '\n') continue;
      if (scan == input.pos || in[scan - 1] != '\r') {
        return std::unexpected(Stop{bad_framing("a chunked body line ends in a bare LF")});
      }
      std::string line = in.substr(input.pos, scan - 1 - input.pos);
      if (line.find('\r') != std::string::npos) {
        return std::unexpected(Stop{bad_framing("a bare CR in a chunked body line")});
      }
      input.pos = scan + 1;
      return line;
    }
    if (in.size() >= limit) {
      return std::unexpected(Stop{bad_framing("a chunked body line is too long")});
    }
    if (auto got = input.need(input.buffered() + 1); !got) return std::unexpected(got.error());
  }
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

std::vector<const std::string*> Head::all(std::string_view name) const {
  std::vector<const std::string*> out;
  for (const auto& [k, v] : fields) {
    if (iequals(k, name)) out.push_back(&v);
  }
  return out;
}

std::string Head::first(std::string_view name) const {
  for (const auto& [k, v] : fields) {
    if (iequals(k, name)) return v;
  }
  return {};
}

bool Head::has_token(std::string_view name, std::string_view token) const {
  for (const std::string* v : all(name)) {
    for (std::string_view e : list_elements(*v)) {
      if (iequals(e, token)) return true;
    }
  }
  return false;
}

bool Head::keep_alive() const {
  if (has_token("Connection", "close")) return false;
  return minor == 1 || has_token("Connection", "keep-alive");
}

std::expected<Head, Refusal> parse_head(std::string_view text) {
  std::vector<std::string_view> lines;
  while (true) {
    const auto crlf = text.find("\r\n");
    const std::string_view line = text.substr(0, crlf);
    // One pass over the line (find_first_of would call memchr once per character).
    if (std::any_of(line.begin(), line.end(), [](char c) { return c == '\r' || c == '\n'; })) {
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

std::optional<std::uint64_t> chunk_size(std::string_view line) {
  std::size_t n = 0;
  while (n < line.size() && std::isxdigit(static_cast<unsigned char>(line[n]))) ++n;
  if (n == 0 || n > kMaxChunkSizeDigits) return std::nullopt;
  std::string_view rest = line.substr(n);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  if (!rest.empty() && (rest.front() != ';' || !is_field_value(rest))) return std::nullopt;
  return std::stoull(std::string(line.substr(0, n)), nullptr, 16);
}

std::expected<void, Stop> RequestInput::need(std::size_t n) {
  while (buffered() < n) {
    if (auto got = more(); !got) return got;
  }
  return {};
}

void RequestInput::compact() {
  scanned = scanned > pos ? scanned - pos : 0;
  if (pos == in.size()) {
    // Nothing buffered: an idle connection keeps no buffer (a small one is kept for reuse).
    if (in.capacity() > 4096) {
      std::string().swap(in);
    } else {
      in.clear();
    }
  } else {
    in.erase(0, pos);
  }
  pos = 0;
}

std::expected<std::string, Stop> read_head(RequestInput& input) {
  std::string& in = input.in;
  std::size_t& pos = input.pos;
  std::size_t scan = std::max(input.scanned, pos);
  while (true) {
    // Empty lines before a request line are ignored (RFC 9112 §2.2).
    while (input.buffered() >= 2 && in[pos] == '\r' && in[pos + 1] == '\n') pos += 2;
    scan = std::max(scan, pos);
    // A head is scanned no further than its limit (its text and the CRLF CRLF can reach), so
    // that where the bytes were split into reads cannot change the verdict.
    const std::size_t limit = pos + kMaxHeadBytes + 4;
    for (; scan < std::min(in.size(), limit); ++scan) {
      if (in[scan] != '\n') continue;
      if (scan == pos || in[scan - 1] != '\r') {
        return std::unexpected(Stop{malformed("a line of the request head ends in a bare LF")});
      }
      if (scan - pos >= 3 && in.compare(scan - 3, 4, "\r\n\r\n") == 0) {
        std::string text = in.substr(pos, scan - 3 - pos);
        pos = scan + 1;
        input.scanned = 0;
        return text;
      }
    }
    if (in.size() >= limit) {
      return std::unexpected(Stop{too_large_head("the request head is too large")});
    }
    if (auto got = input.more(); !got) {
      // Resumed later from here, so that a head arriving byte by byte is scanned once.
      input.scanned = scan;
      return std::unexpected(got.error());
    }
  }
}

std::expected<bool, Stop> read_chunked(RequestInput& input, std::size_t max_body_bytes,
                                       std::string& body, ChunkedProgress& progress) {
  // Each element (size line, chunk data with its CRLF, trailer line) is consumed only once it
  // has arrived whole, and `progress` records what was consumed, so a pending Stop can resume.
  while (!progress.trailer) {
    if (!progress.chunk) {
      auto line = read_body_line(input, kMaxChunkLineBytes);
      if (!line) return std::unexpected(line.error());
      const auto size = chunk_size(*line);
      if (!size) return std::unexpected(Stop{bad_framing("malformed chunk size")});
      if (*size == 0) {
        progress.trailer = true;
        break;
      }
      if (*size > max_body_bytes - body.size()) return false;
      progress.chunk = *size;
    }
    const std::uint64_t size = *progress.chunk;
    if (auto got = input.need(size + 2); !got) return std::unexpected(got.error());
    if (input.in.compare(input.pos + size, 2, "\r\n") != 0) {
      return std::unexpected(Stop{bad_framing("chunk data is not followed by CRLF")});
    }
    body.append(input.in, input.pos, size);
    input.pos += size + 2;
    progress.chunk.reset();
  }
  // The trailer section: field lines up to an empty line; checked, then dropped.
  while (true) {
    auto line = read_body_line(input, kMaxFieldNameBytes + kMaxFieldValueBytes + 1);
    if (!line) return std::unexpected(line.error());
    if (line->empty()) return true;
    progress.trailer_bytes += line->size();
    const auto colon = line->find(':');
    if (progress.trailer_bytes > kMaxTrailerBytes || colon == std::string::npos ||
        !is_token(std::string_view(*line).substr(0, colon)) ||
        !is_field_value(std::string_view(*line).substr(colon + 1))) {
      return std::unexpected(Stop{bad_framing("malformed chunked trailer")});
    }
  }
}

}  // namespace trustgate::http
