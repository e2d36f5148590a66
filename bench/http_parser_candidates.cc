// The two candidates for the request parser of the event-driven HTTP edge (issue 16), side by
// side: trustgate's own strict parser (daemon/http/http_request_parser.h) and Boost.Beast's
// http::request_parser<string_body> (header-only, Debian's libboost-dev), and as a third column
// Beast behind a small guard that applies trustgate's edge rules to its parsed header (guard()
// below: what a Beast-based edge would have to add to keep today's contract).
//
// 1. Strictness: a corpus of hostile and edge-case requests, most taken from the edge tests
//    (daemon/api/http_edge_store_test.cc) and the fuzz seeds (fuzz/corpus/http_request). Each is
//    fed whole, and again one byte at a time, to each parser; the table says what each decided:
//    accepted with which framing (and what the bytes after the message are read as: a smuggled
//    request shows up there), refused (our status and code, Beast's error name), or still
//    waiting for bytes. All are given the same limits (64 KiB head, 64 KiB body: EdgeLimits'
//    default). The summary counts the cases one accepts and the other does not, and lists those
//    that are about framing (where a proxy in front may see another message boundary: the
//    request-smuggling surface).
// 2. Throughput: one realistic GET (6 fields, Basic authorization), a POST with a ~200-byte JSON
//    body and Content-Length, and the same POST chunked, each parsed N times on one thread by
//    each variant from bytes already in memory (ours: read_head + parse_head + framing_of + the
//    body read / read_chunked, over a RequestInput whose `more` stops; Beast: a new parser per
//    request, fed the whole buffer). Best of 5 runs by this thread's CPU time (so that time
//    spent preempted by other work is not counted), wall time beside it.
//
// Usage: bench_http_parser_candidates [N (default 200000)] [--show-cases]
//   Build: cmake --build build --target bench_http_parser_candidates (Release). Run it on a quiet
//   machine, or say what else ran; the load average is printed at the start and the end.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <expected>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/version.hpp>
#include <boost/version.hpp>

#include "bench_git_commit.h"  // generated: TRUSTGATE_GIT_COMMIT
#include "daemon/http/http_request_parser.h"

namespace {

namespace tg = trustgate::http;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

constexpr std::size_t kMaxHeadBytes = 64 * 1024;  // read_head's limit
constexpr std::size_t kMaxBodyBytes = 64 * 1024;  // EdgeLimits::max_body_bytes' default

// --- One parse, by either parser --------------------------------------------------------------

struct Outcome {
  enum class Kind { kAccept, kRefuse, kWaits } kind = Kind::kWaits;
  std::string framing;  // accepted: "CL 5", "chunked", "no body"; refused: the reason
  std::size_t body = 0;
  std::size_t used = 0;  // bytes consumed by the message (accepted)
  std::string request_line;

  // What decides a disagreement: the verdict, and for an accepted message where it ends.
  std::string signature() const {
    switch (kind) {
      case Kind::kAccept:
        return "accept " + framing + " " + std::to_string(body) + " " + std::to_string(used);
      case Kind::kRefuse:
        return "refuse";
      case Kind::kWaits:
        return "waits";
    }
    return {};
  }
};

// Ours, as HttpConnection::serve_one reads a request (limits as above).
Outcome parse_ours(std::string_view bytes, bool byte_by_byte) {
  tg::RequestInput input;
  std::size_t sent = 0;
  if (!byte_by_byte) {
    input.in = bytes;
    sent = bytes.size();
  }
  input.more = [&]() -> std::expected<void, tg::Stop> {
    if (sent == bytes.size()) return std::unexpected(tg::Stop{});
    input.in.push_back(bytes[sent++]);
    return {};
  };
  Outcome out;
  auto stopped = [&](const tg::Stop& stop) {
    if (stop.refusal) {
      out.kind = Outcome::Kind::kRefuse;
      out.framing = std::to_string(stop.refusal->status) + " " + stop.refusal->code;
    } else {
      out.kind = Outcome::Kind::kWaits;
    }
    return out;
  };
  if (input.in.empty() && !input.more()) return out;
  auto text = tg::read_head(input);
  if (!text) return stopped(text.error());
  auto head = tg::parse_head(*text);
  if (!head) return stopped(tg::Stop{head.error()});
  auto framing = tg::framing_of(*head);
  if (!framing) return stopped(tg::Stop{framing.error()});
  out.request_line = head->method + " " + head->target;
  std::string body;
  if (framing->kind == tg::Framing::Kind::kLength) {
    if (framing->length > kMaxBodyBytes) {
      return stopped(tg::Stop{tg::Refusal{413, "body_too_large", ""}});
    }
    const auto n = static_cast<std::size_t>(framing->length);
    if (auto got = input.need(n); !got) return stopped(got.error());
    body = input.in.substr(input.pos, n);
    input.pos += n;
    out.framing = "CL " + std::to_string(n);
  } else if (framing->kind == tg::Framing::Kind::kChunked) {
    auto complete = tg::read_chunked(input, kMaxBodyBytes, body);
    if (!complete) return stopped(complete.error());
    if (!*complete) return stopped(tg::Stop{tg::Refusal{413, "body_too_large", ""}});
    out.framing = "chunked";
  } else {
    out.framing = "no body";
  }
  out.kind = Outcome::Kind::kAccept;
  out.body = body.size();
  out.used = input.pos;
  return out;
}

const char* beast_error_name(const beast::error_code& ec) {
  if (ec.category() != bhttp::make_error_code(bhttp::error::need_more).category()) {
    return "other_error";
  }
  switch (static_cast<bhttp::error>(ec.value())) {
    case bhttp::error::end_of_stream:
      return "end_of_stream";
    case bhttp::error::partial_message:
      return "partial_message";
    case bhttp::error::need_more:
      return "need_more";
    case bhttp::error::unexpected_body:
      return "unexpected_body";
    case bhttp::error::need_buffer:
      return "need_buffer";
    case bhttp::error::end_of_chunk:
      return "end_of_chunk";
    case bhttp::error::buffer_overflow:
      return "buffer_overflow";
    case bhttp::error::header_limit:
      return "header_limit";
    case bhttp::error::body_limit:
      return "body_limit";
    case bhttp::error::bad_alloc:
      return "bad_alloc";
    case bhttp::error::bad_line_ending:
      return "bad_line_ending";
    case bhttp::error::bad_method:
      return "bad_method";
    case bhttp::error::bad_target:
      return "bad_target";
    case bhttp::error::bad_version:
      return "bad_version";
    case bhttp::error::bad_status:
      return "bad_status";
    case bhttp::error::bad_reason:
      return "bad_reason";
    case bhttp::error::bad_field:
      return "bad_field";
    case bhttp::error::bad_value:
      return "bad_value";
    case bhttp::error::bad_content_length:
      return "bad_content_length";
    case bhttp::error::bad_transfer_encoding:
      return "bad_transfer_encoding";
    case bhttp::error::bad_chunk:
      return "bad_chunk";
    case bhttp::error::bad_chunk_extension:
      return "bad_chunk_extension";
    case bhttp::error::bad_obs_fold:
      return "bad_obs_fold";
    case bhttp::error::stale_parser:
      return "stale_parser";
    case bhttp::error::short_read:
      return "short_read";
  }
  return "other_error";
}

using BeastParser = bhttp::request_parser<bhttp::string_body>;

// Beast 1.74 hands out boost::string_view.
std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

// The third variant, not a library of its own: Beast behind a guard of ~40 lines that applies
// trustgate's edge rules to Beast's parsed header before the body is read (what a Beast-based
// edge would have to add to keep today's contract): one Host, one Content-Length of plain digits,
// a Transfer-Encoding that is exactly "chunked" and only in HTTP/1.1, no obs-fold (Beast unfolds it
// silently, so the raw head is scanned), trustgate's per-field limits and target bytes. Empty
// lines before the request line are skipped, as RFC 9112 §2.2 asks, before Beast sees them.
// Returns why the header is refused, or nullptr.
const char* guard(const BeastParser& parser, std::string_view raw_head) {
  const auto& m = parser.get();
  for (std::size_t i = raw_head.find('\n'); i != std::string_view::npos;
       i = raw_head.find('\n', i + 1)) {
    if (i + 1 < raw_head.size() && (raw_head[i + 1] == ' ' || raw_head[i + 1] == '\t')) {
      return "obs_fold";
    }
  }
  const std::string_view target = sv(m.target());
  if (target.size() > 16 * 1024) return "target_limit";
  for (const char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return "target_byte";
    }
  }
  std::size_t fields = 0, hosts = 0, lengths = 0, codings = 0;
  bool chunked_only = true;
  for (const auto& f : m) {
    if (++fields > 100 || f.name_string().size() > 256 || f.value().size() > 8 * 1024) {
      return "field_limit";
    }
    switch (f.name()) {
      case bhttp::field::host:
        ++hosts;
        break;
      case bhttp::field::content_length: {
        // Beast takes a list of equal values ("5, 5"); the edge takes plain digits only.
        const std::string_view v = sv(f.value());
        if (v.find_first_not_of("0123456789") != std::string_view::npos) return "content_length";
        ++lengths;
        break;
      }
      case bhttp::field::transfer_encoding: {
        std::string_view v = sv(f.value());
        while (true) {  // each list element, OWS-trimmed, must be "chunked", and only one
          const auto comma = v.find(',');
          std::string_view e = v.substr(0, comma);
          while (!e.empty() && (e.front() == ' ' || e.front() == '\t')) e.remove_prefix(1);
          while (!e.empty() && (e.back() == ' ' || e.back() == '\t')) e.remove_suffix(1);
          if (++codings > 1 || !tg::iequals(e, "chunked")) chunked_only = false;
          if (comma == std::string_view::npos) break;
          v.remove_prefix(comma + 1);
        }
        break;
      }
      default:
        break;
    }
  }
  if (hosts > 1) return "several_hosts";
  if (lengths > 1) return "several_content_lengths";
  if (codings > 0 && (m.version() != 11 || !chunked_only)) return "transfer_encoding";
  return nullptr;
}

// Beast, as a server reads with it: the unconsumed bytes are handed again with more behind them
// while it asks for more (need_more, or a body not complete yet). `guarded`: the header goes
// through guard() first.
Outcome parse_beast(std::string_view bytes, bool byte_by_byte, bool guarded) {
  std::size_t skipped = 0;
  if (guarded) {
    while (bytes.substr(skipped, 2) == "\r\n") skipped += 2;
  }
  bytes.remove_prefix(skipped);
  BeastParser parser;
  parser.header_limit(kMaxHeadBytes);
  parser.body_limit(kMaxBodyBytes);
  parser.eager(!guarded);
  bool checked = !guarded;
  std::size_t have = byte_by_byte ? std::min<std::size_t>(1, bytes.size()) : bytes.size();
  std::size_t used = 0;
  Outcome out;
  while (true) {
    beast::error_code ec;
    used += parser.put(boost::asio::const_buffer(bytes.data() + used, have - used), ec);
    if (ec && ec != bhttp::error::need_more) {
      out.kind = Outcome::Kind::kRefuse;
      out.framing = beast_error_name(ec);
      return out;
    }
    if (!checked && parser.is_header_done()) {
      if (const char* why = guard(parser, bytes.substr(0, used))) {
        out.kind = Outcome::Kind::kRefuse;
        out.framing = std::string("guard: ") + why;
        return out;
      }
      checked = true;
      parser.eager(true);
      if (!parser.is_done()) continue;  // the body, from the bytes already there
    }
    if (parser.is_done()) break;
    if (have == bytes.size()) return out;  // waits for more
    ++have;
  }
  const auto& message = parser.get();
  out.kind = Outcome::Kind::kAccept;
  out.request_line = std::string(message.method_string()) + " " + std::string(message.target());
  if (parser.chunked()) {
    out.framing = "chunked";
  } else if (const auto length = parser.content_length()) {
    out.framing = "CL " + std::to_string(*length);
  } else {
    out.framing = "no body";
  }
  out.body = message.body().size();
  out.used = skipped + used;
  return out;
}

// One cell of the table: the verdict, and for an accepted message with bytes after it what
// the same parser reads them as.
std::string describe(const Outcome& o, std::string_view bytes,
                     const std::function<Outcome(std::string_view)>& parse) {
  switch (o.kind) {
    case Outcome::Kind::kWaits:
      return "waits for more bytes";
    case Outcome::Kind::kRefuse:
      return "refuse " + o.framing;
    case Outcome::Kind::kAccept:
      break;
  }
  std::string s = "accept " + o.framing;
  if (o.framing != "no body") s += " (" + std::to_string(o.body) + " B)";
  const std::string_view rest = bytes.substr(o.used);
  if (!rest.empty()) {
    const Outcome next = parse(rest);
    s += "; then ";
    if (next.kind == Outcome::Kind::kAccept) {
      s += "\"" + next.request_line + "\"";
    } else {
      s += std::to_string(rest.size()) + " B " +
           (next.kind == Outcome::Kind::kRefuse ? "refused" : "pending");
    }
  }
  return s;
}

// --- The corpus --------------------------------------------------------------------------------

struct Case {
  const char* name;
  // framing: where the message ends could be read two ways (by a proxy in front and the
  // server): the smuggling surface. syntax / limits / target: the other strictness.
  const char* kind;
  std::string bytes;
};

const std::string kPost = "POST /v1/handoffs HTTP/1.1\r\nHost: x\r\n";
// A request hidden behind the first one: accepted as a second request, it is smuggled.
const std::string kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

std::string cl(std::string_view value) {
  return kPost + "Content-Length: " + std::string(value) + "\r\n\r\nhello" + kSmuggled;
}

std::string te(std::string_view coding) {
  return kPost + "Transfer-Encoding: " + std::string(coding) + "\r\n\r\n0\r\n\r\n" + kSmuggled;
}

std::string chunked(std::string_view body) {
  return kPost + "Transfer-Encoding: chunked\r\n\r\n" + std::string(body) + kSmuggled;
}

std::vector<Case> corpus() {
  using namespace std::string_literals;
  const std::string get = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  std::string many_fields = get;
  for (int i = 0; i < 101; ++i) many_fields += "X-F" + std::to_string(i) + ": v\r\n";
  std::string huge_head = get;
  for (int i = 0; i < 9; ++i)
    huge_head += "X-V" + std::to_string(i) + ": " + std::string(8000, 'v') + "\r\n";
  const std::string cl_te_body = "0\r\n\r\n" + kSmuggled;
  return {
      // Well-formed: both must accept, and agree.
      {"plain GET", "baseline", get + "\r\n"},
      {"POST, Content-Length 5", "baseline", kPost + "Content-Length: 5\r\n\r\nhello"},
      {"chunked with extension and trailer", "baseline",
       kPost + "Transfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n0\r\nX-T: t\r\n\r\n"},
      {"Transfer-Encoding: Chunked (case)", "baseline",
       kPost + "Transfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
      {"leading empty lines", "baseline", "\r\n\r\n" + get + "\r\n"},
      // Content-Length.
      {"two Content-Length, different", "framing",
       kPost + "Content-Length: 0\r\nContent-Length: " + std::to_string(kSmuggled.size()) +
           "\r\n\r\n" + kSmuggled},
      {"two Content-Length, equal", "framing",
       kPost + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello" + kSmuggled},
      {"Content-Length: 5, 5", "framing", cl("5, 5")},
      {"Content-Length: 5, 6", "framing", cl("5, 6")},
      {"Content-Length: +5", "framing", cl("+5")},
      {"Content-Length: -5", "framing", cl("-5")},
      {"Content-Length: 0x5", "framing", cl("0x5")},
      {"Content-Length: 5 5", "framing", cl("5 5")},
      {"Content-Length: (empty)", "framing", cl("")},
      {"Content-Length: 1e3", "framing", cl("1e3")},
      {"Content-Length: 2^64+ (20 digits)", "framing", cl("99999999999999999999")},
      {"Content-Length: 005 (leading zeros)", "framing", cl("005")},
      {"Content-Length over the body limit", "limits", cl("1000000")},
      // Transfer-Encoding.
      {"CL + TE: chunked", "framing",
       kPost + "Content-Length: " + std::to_string(cl_te_body.size()) +
           "\r\nTransfer-Encoding: chunked\r\n\r\n" + cl_te_body},
      {"TE: chunked + CL (TE first)", "framing",
       kPost + "Transfer-Encoding: chunked\r\nContent-Length: " +
           std::to_string(cl_te_body.size()) + "\r\n\r\n" + cl_te_body},
      {"TE: chunked + Content-Length: abc", "framing",
       kPost + "Transfer-Encoding: chunked\r\nContent-Length: abc\r\n\r\n0\r\n\r\n"},
      {"TE: x-custom + Content-Length: 0", "framing",
       kPost + "Transfer-Encoding: x-custom\r\nContent-Length: 0\r\n\r\n" + kSmuggled},
      {"TE: gzip + Content-Length: 5", "framing",
       kPost + "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello" + kSmuggled},
      {"TE: gzip (chunked absent)", "framing", te("gzip")},
      {"TE: identity", "framing", te("identity")},
      {"TE: xchunked", "framing", te("xchunked")},
      {"TE: chunked, gzip (not last)", "framing", te("chunked, gzip")},
      {"TE: chunked, chunked", "framing", te("chunked, chunked")},
      {"TE: chunked, (empty element)", "framing", te("chunked,")},
      {"TE: , chunked (empty element)", "framing", te(", chunked")},
      {"TE: gzip, chunked", "framing", te("gzip, chunked")},
      {"two TE fields: gzip / chunked", "framing",
       kPost + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
           kSmuggled},
      {"two TE fields: chunked / chunked", "framing",
       kPost + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
           kSmuggled},
      {"TE: chunked<VT> (control char)", "framing", te("chunked\x0b")},
      {"Transfer-Encoding : chunked (SP)", "framing",
       kPost + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n" + kSmuggled},
      {"HTTP/1.0 with TE: chunked", "framing",
       "POST /v1/handoffs HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + kSmuggled},
      // Chunked bodies.
      {"chunk size not hex (a request)", "framing", chunked(kSmuggled)},
      {"chunk data not followed by CRLF", "framing", chunked("5\r\n{\"a\":XX0\r\n\r\n")},
      {"bare LF after chunk size", "framing", chunked("2\n{}\r\n0\r\n\r\n")},
      {"junk after chunk size (2 x)", "framing", chunked("2 x\r\n{}\r\n0\r\n\r\n")},
      {"BWS before chunk ext (2 ;a=b)", "framing", chunked("2 ;a=b\r\n{}\r\n0\r\n\r\n")},
      {"chunk size 0x2", "framing", chunked("0x2\r\n{}\r\n0\r\n\r\n")},
      {"chunk size overflow (20 hex digits)", "framing", chunked("FFFFFFFFFFFFFFFFFFFF\r\n")},
      {"chunk size 2^64+1 (17 hex digits)", "framing",
       chunked("10000000000000002\r\n{}\r\n0\r\n\r\n")},
      {"huge chunk size (15 hex digits)", "limits", chunked("FFFFFFFFFFFFFFF\r\n")},
      {"chunk extension with a control char", "framing", chunked("2;a=\x01\r\n{}\r\n0\r\n\r\n")},
      {"chunk extension with bare CR", "framing", chunked("2;a\rb\r\n{}\r\n0\r\n\r\n")},
      {"trailer without a colon", "framing", chunked("0\r\nno colon\r\n\r\n")},
      {"last chunk, then a request line", "framing", chunked("0\r\n")},
      // Head syntax.
      {"whitespace before colon (CL : 5)", "framing",
       kPost + "Content-Length : 5\r\n\r\nhello" + kSmuggled},
      {"obs-fold (SP) before Content-Length", "framing",
       kPost + "X-Note: a\r\n Content-Length: 5\r\n\r\nhello" + kSmuggled},
      {"obs-fold (HTAB) of a value", "framing", get + "X-Note: a\r\n\tb\r\n\r\n"},
      {"bare LF line endings", "framing", "GET /healthz HTTP/1.1\nHost: x\n\n"},
      {"bare LF in one field line", "framing", get + "X-A: a\nContent-Length: 5\r\n\r\nhello"},
      {"bare CR in a field line", "framing", get + "X-A: a\rContent-Length: 5\r\n\r\nhello"},
      {"bare CR line endings", "framing", "GET /healthz HTTP/1.1\rHost: x\r\r\n\r\n"},
      {"NUL in a field value", "syntax", get + "X-A: a\0b\r\n\r\n"s},
      {"control char 0x01 in a value", "syntax", get + "X-A: a\x01z\r\n\r\n"},
      {"DEL in a value", "syntax", get + "X-A: a\x7fz\r\n\r\n"},
      {"obs-text (0x80-0xff) in a value", "syntax", get + "X-A: caf\xc3\xa9\r\n\r\n"},
      {"space in a field name", "syntax", get + "X A: b\r\n\r\n"},
      {"empty field name", "syntax", get + ": b\r\n\r\n"},
      {"field line without a colon", "syntax", get + "X-A\r\n\r\n"},
      {"request line with two spaces", "syntax", "GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"request line with HTAB separators", "syntax", "GET\t/healthz\tHTTP/1.1\r\nHost: x\r\n\r\n"},
      {"request line, trailing space", "syntax", "GET /healthz HTTP/1.1 \r\nHost: x\r\n\r\n"},
      {"non-token method G(T", "syntax", "G(T /healthz HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"HTTP/2.0 version", "syntax", "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n"},
      {"HTTP/1.2 version", "syntax", "GET /healthz HTTP/1.2\r\nHost: x\r\n\r\n"},
      {"lower-case http/1.1", "syntax", "GET /healthz http/1.1\r\nHost: x\r\n\r\n"},
      {"HTTP/2 preface (PRI * HTTP/2.0)", "syntax", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"},
      {"absolute-form target", "target", "GET http://evil.example/healthz HTTP/1.1\r\n\r\n"},
      {"non-ASCII byte in the target", "target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"two Host fields", "target", get + "Host: y\r\n\r\n"},
      {"target over 16 KiB", "limits",
       "GET /" + std::string(17 * 1024, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"field name of 300 bytes", "limits", get + std::string(300, 'X') + ": v\r\n\r\n"},
      {"field value of 9 KiB", "limits", get + "X-A: " + std::string(9 * 1024, 'v') + "\r\n\r\n"},
      {"101 fields", "limits", many_fields + "\r\n"},
      {"head over 64 KiB (9 x 8000 B values)", "limits", huge_head + "\r\n"},
  };
}

std::string escaped(std::string_view s, std::size_t max) {
  std::string out;
  for (const char c : s.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

// How two parsers' verdicts on the corpus compare.
struct Comparison {
  std::vector<std::string> other_only_framing;  // the other accepts, ours does not: framing
  std::vector<std::string> other_only_rest;     // ... the other kinds
  std::vector<std::string> ours_only;           // ours accepts, the other does not
  std::vector<std::string> framed_apart;        // both accept, with another framing or end

  // The mark of the table's row, and the case counted.
  std::string add(const Case& c, const Outcome& ours, const Outcome& other, const char* who) {
    const bool o = ours.kind == Outcome::Kind::kAccept;
    const bool b = other.kind == Outcome::Kind::kAccept;
    if (b && !o) {
      (std::string_view(c.kind) == "framing" ? other_only_framing : other_only_rest)
          .push_back(c.name);
      return std::string(who) + " ACCEPTS";
    }
    if (o && !b) {
      ours_only.push_back(c.name);
      return "OURS ACCEPTS";
    }
    if (o && ours.signature() != other.signature()) {
      framed_apart.push_back(c.name);
      return "FRAMED APART";
    }
    return "";
  }

  void print(const char* other) const {
    auto list = [](const std::string& title, const std::vector<std::string>& names) {
      std::printf("  %s: %zu\n", title.c_str(), names.size());
      for (const auto& n : names) std::printf("      - %s\n", n.c_str());
    };
    list(std::string(other) + " accepts, trustgate refuses, framing (smuggling surface)",
         other_only_framing);
    list(std::string(other) + " accepts, trustgate refuses, other", other_only_rest);
    list(std::string("trustgate accepts, ") + other + " refuses", ours_only);
    list("both accept, framed differently", framed_apart);
  }
};

void strictness_table(bool show_cases) {
  const auto cases = corpus();
  auto ours = [](std::string_view b) { return parse_ours(b, false); };
  auto beast = [](std::string_view b) { return parse_beast(b, false, false); };
  auto guarded = [](std::string_view b) { return parse_beast(b, false, true); };
  std::printf(
      "== Strictness: %zu requests. Limits for both: head 64 KiB, body 64 KiB. After an accepted\n"
      "   message, \"then\" is what the same parser reads the bytes behind it as. Beast+guard:\n"
      "   Beast with trustgate's edge rules checked on its parsed header (see guard()).\n\n",
      cases.size());
  std::printf("%-3s %-38s %-8s | %-44s | %-44s | %-13s | %-30s\n", "#", "case", "kind", "trustgate",
              "Beast request_parser<string_body>", "ours vs Beast", "Beast+guard");
  Comparison vs_beast, vs_guarded;
  std::vector<std::string> bytewise;
  int index = 0;
  for (const Case& c : cases) {
    ++index;
    const Outcome o = parse_ours(c.bytes, false);
    const Outcome b = parse_beast(c.bytes, false, false);
    const Outcome g = parse_beast(c.bytes, false, true);
    const std::string mark = vs_beast.add(c, o, b, "BEAST");
    const std::string guard_mark = vs_guarded.add(c, o, g, "GUARDED");
    std::string ours_cell = describe(o, c.bytes, ours);
    std::string beast_cell = describe(b, c.bytes, beast);
    std::string guard_cell = describe(g, c.bytes, guarded);
    if (g.kind == Outcome::Kind::kAccept && guard_mark.empty()) guard_cell = "accept, as ours";
    if (!guard_mark.empty()) guard_cell += " <" + guard_mark + ">";
    // Fed one byte at a time, each must decide as it did on the whole message.
    if (const Outcome o1 = parse_ours(c.bytes, true); o1.signature() != o.signature()) {
      ours_cell += " [byte by byte: " + describe(o1, c.bytes, ours) + "]";
      bytewise.push_back(std::string("trustgate: ") + c.name);
    }
    if (const Outcome b1 = parse_beast(c.bytes, true, false); b1.signature() != b.signature()) {
      beast_cell += " [byte by byte: " + describe(b1, c.bytes, beast) + "]";
      bytewise.push_back(std::string("Beast: ") + c.name);
    }
    if (const Outcome g1 = parse_beast(c.bytes, true, true); g1.signature() != g.signature()) {
      guard_cell += " [byte by byte: " + describe(g1, c.bytes, guarded) + "]";
      bytewise.push_back(std::string("Beast+guard: ") + c.name);
    }
    std::printf("%-3d %-38s %-8s | %-44s | %-44s | %-13s | %s\n", index, c.name, c.kind,
                ours_cell.c_str(), beast_cell.c_str(), mark.c_str(), guard_cell.c_str());
    if (show_cases) std::printf("      bytes: %s\n", escaped(c.bytes, 160).c_str());
  }
  std::printf("\nSummary over %zu cases, trustgate vs Beast:\n", cases.size());
  vs_beast.print("Beast");
  std::printf("trustgate vs Beast+guard:\n");
  vs_guarded.print("Beast+guard");
  std::printf("Verdicts that changed when fed one byte at a time: %zu\n", bytewise.size());
  for (const auto& n : bytewise) std::printf("      - %s\n", n.c_str());
}

// --- Throughput --------------------------------------------------------------------------------

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Timing {
  double cpu_ns = 1e300;   // best per request, CPU time
  double wall_ns = 1e300;  // best per request, wall time
};

// Parses `request` n times with ours; returns a checksum (fields + body bytes) so that nothing
// is optimised away.
std::size_t run_ours(const std::string& request, std::size_t n) {
  tg::RequestInput input;
  input.in = request;  // read_head and the body reads only move `pos`
  input.more = []() -> std::expected<void, tg::Stop> { return std::unexpected(tg::Stop{}); };
  std::size_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    input.pos = 0;
    auto text = tg::read_head(input);
    if (!text) std::abort();
    auto head = tg::parse_head(*text);
    if (!head) std::abort();
    auto framing = tg::framing_of(*head);
    if (!framing) std::abort();
    std::string body;
    if (framing->kind == tg::Framing::Kind::kLength) {
      const auto len = static_cast<std::size_t>(framing->length);
      if (len > kMaxBodyBytes || !input.need(len)) std::abort();
      body = input.in.substr(input.pos, len);
      input.pos += len;
    } else if (framing->kind == tg::Framing::Kind::kChunked) {
      auto complete = tg::read_chunked(input, kMaxBodyBytes, body);
      if (!complete || !*complete) std::abort();
    }
    sum += head->fields.size() + body.size();
  }
  return sum;
}

template <bool kGuarded>
std::size_t run_beast(const std::string& request, std::size_t n) {
  std::size_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    BeastParser parser;
    parser.header_limit(kMaxHeadBytes);
    parser.body_limit(kMaxBodyBytes);
    parser.eager(!kGuarded);
    std::size_t used = 0;
    bool checked = !kGuarded;
    while (!parser.is_done()) {
      beast::error_code ec;
      const std::size_t got =
          parser.put(boost::asio::const_buffer(request.data() + used, request.size() - used), ec);
      if ((ec && ec != bhttp::error::need_more) || (got == 0 && !parser.is_done())) std::abort();
      used += got;
      if (!checked && parser.is_header_done()) {
        if (guard(parser, std::string_view(request).substr(0, used))) std::abort();
        checked = true;
        parser.eager(true);
      }
    }
    const auto& m = parser.get();
    sum += static_cast<std::size_t>(std::distance(m.begin(), m.end())) + m.body().size();
  }
  return sum;
}

template <typename Run>
void time_once(Run run, const std::string& request, std::size_t n, Timing& best,
               std::size_t& sink) {
  const double c0 = thread_cpu_seconds();
  const double w0 = wall_seconds();
  sink += run(request, n);
  const double w1 = wall_seconds();
  const double c1 = thread_cpu_seconds();
  best.cpu_ns = std::min(best.cpu_ns, (c1 - c0) * 1e9 / static_cast<double>(n));
  best.wall_ns = std::min(best.wall_ns, (w1 - w0) * 1e9 / static_cast<double>(n));
}

void throughput(std::size_t n) {
  const std::string json =
      R"({"user":"aisha.khan","institution":"100002","mfa":true,"auth_time":1764547200,)"
      R"("session":"5f0c9a1e-3b7d-4c2a-9e8f-1a2b3c4d5e6f","client":"mat-site-portal",)"
      R"("note":"drop-down refresh","groups":["staff","teachers"],"ttl":300})";
  const std::string post_head =
      "POST /v1/handoffs HTTP/1.1\r\n"
      "Host: trustgate.la.example:8443\r\n"
      "User-Agent: mat-site/4.2 (PHP 8.2; curl 7.88)\r\n"
      "Accept: application/json\r\n"
      "Authorization: Bearer mat-site:3q2+7w8nXkR4pZ0vY1sLmA9cT6uJ5bHd\r\n"
      "Content-Type: application/json\r\n";
  const std::string half = json.substr(0, json.size() / 2);
  const std::string rest = json.substr(json.size() / 2);
  char sizes[64];
  std::snprintf(sizes, sizeof sizes, "%zx", half.size());
  std::string chunked_body = std::string(sizes) + "\r\n" + half + "\r\n";
  std::snprintf(sizes, sizeof sizes, "%zx", rest.size());
  chunked_body += std::string(sizes) + "\r\n" + rest + "\r\n0\r\n\r\n";
  struct Request {
    const char* name;
    std::string bytes;
  };
  const std::vector<Request> requests = {
      {"GET, 6 fields, Basic auth",
       "GET /v1/users/aisha.khan/institutions HTTP/1.1\r\n"
       "Host: trustgate.la.example:8443\r\n"
       "User-Agent: mat-site/4.2 (PHP 8.2; curl 7.88)\r\n"
       "Accept: application/json\r\n"
       "Accept-Encoding: gzip, deflate\r\n"
       "Authorization: Basic bWF0LXNpdGU6M3EyKzd3OG5Ya1I0cFowdlkxc0xtQTljVDZ1SjViSGQ=\r\n"
       "Connection: keep-alive\r\n\r\n"},
      {"POST, JSON body, Content-Length",
       post_head + "Content-Length: " + std::to_string(json.size()) + "\r\n\r\n" + json},
      {"POST, same body, chunked (2 chunks)",
       post_head + "Transfer-Encoding: chunked\r\n\r\n" + chunked_body},
  };
  std::printf("\n== Throughput: %zu parses per run, best of 5 runs, one thread\n\n", n);
  std::printf("JSON body: %zu bytes\n", json.size());
  std::printf("%-36s %5s | %-23s | %-23s | %-23s | %s\n", "request", "bytes",
              "trustgate ns (wall) req/s", "Beast ns (wall) req/s", "+guard ns (wall) req/s",
              "ours/Beast, ours/guarded (time)");
  std::size_t sink = 0;
  for (const Request& r : requests) {
    // All must read the same message first.
    const Outcome o = parse_ours(r.bytes, false);
    const Outcome b = parse_beast(r.bytes, false, false);
    const Outcome g = parse_beast(r.bytes, false, true);
    if (o.kind != Outcome::Kind::kAccept || o.signature() != b.signature() ||
        o.signature() != g.signature()) {
      std::printf("%s: the parsers disagree (%s / %s / %s)\n", r.name, o.signature().c_str(),
                  b.signature().c_str(), g.signature().c_str());
      std::exit(1);
    }
    Timing t[3];
    for (int warm = 0; warm < 2; ++warm) {  // the first round warms up and is not counted
      for (int run = 0; run < (warm == 0 ? 1 : 5); ++run) {
        const std::size_t count = warm == 0 ? n / 10 + 1 : n;
        time_once(run_ours, r.bytes, count, t[0], sink);
        time_once(run_beast<false>, r.bytes, count, t[1], sink);
        time_once(run_beast<true>, r.bytes, count, t[2], sink);
      }
      if (warm == 0) t[0] = t[1] = t[2] = Timing{};
    }
    std::printf("%-36s %5zu |", r.name, r.bytes.size());
    for (const Timing& x : t) {
      std::printf(" %5.0f (%5.0f) %9.0f |", x.cpu_ns, x.wall_ns, 1e9 / x.cpu_ns);
    }
    std::printf(" %.2f, %.2f\n", t[0].cpu_ns / t[1].cpu_ns, t[0].cpu_ns / t[2].cpu_ns);
  }
  std::printf("(ns per request by CPU time, wall time in brackets; req/s from CPU time)\n");
  std::printf("(checksum %zu)\n", sink);
}

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 200'000;
  bool show_cases = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--show-cases") == 0) {
      show_cases = true;
    } else {
      n = std::strtoull(argv[i], nullptr, 10);
      if (n == 0) {
        std::fprintf(stderr, "usage: %s [N] [--show-cases]\n", argv[0]);
        return 2;
      }
    }
  }
  std::printf("trustgate %s (commit %s) vs %s (Boost %d.%d.%d), g++ %s\n", TRUSTGATE_VERSION,
              TRUSTGATE_GIT_COMMIT, BOOST_BEAST_VERSION_STRING, BOOST_VERSION / 100000,
              BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100, __VERSION__);
  std::printf("load average at start: %s\n\n", load_average().c_str());
  strictness_table(show_cases);
  throughput(n);
  std::printf("load average at end: %s\n", load_average().c_str());
  return 0;
}
