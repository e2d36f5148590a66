#include "mapping/dn.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "mapping/case_fold.h"
#include "mapping/dn_internal.h"

namespace trustgate {
namespace {

constexpr char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
// Space between tokens, and white space a value's preparation maps to a space.
constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
constexpr bool ends_value(char c) { return c == ',' || c == ';' || c == '+'; }
constexpr bool is_special(char c) {
  switch (c) {
    case '"':
    case '+':
    case ',':
    case ';':
    case '<':
    case '>':
    case '\\':
    case '=':
      return true;
    default:
      return false;
  }
}

constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kHex[] = "0123456789abcdef";

// Reads the attribute value at dn[i] (just after '='), appends its raw bytes to `raw` and
// leaves i on the ',' ';' '+' that ends it, or at the end. Unescaped spaces before and after the
// value are dropped (escaped and quoted ones are kept). Returns true for a '#' hex (BER) value,
// which is appended as written with its hex digits lower-cased.
bool read_value(std::string_view dn, std::size_t& i, std::string& raw) {
  const std::size_t n = dn.size();
  while (i < n && is_space(dn[i])) ++i;
  if (i < n && dn[i] == '#') {
    std::size_t end = i + 1;
    while (end < n && hex_value(dn[end]) >= 0) ++end;
    std::size_t next = end;
    while (next < n && is_space(dn[next])) ++next;
    if (end > i + 1 && (end - i - 1) % 2 == 0 && (next == n || ends_value(dn[next]))) {
      for (; i < end; ++i) raw.push_back(lower(dn[i]));
      i = next;
      return true;
    }
    // Not a hex string: an ordinary value that starts with '#'.
  }
  std::size_t kept = raw.size();  // bytes before `kept` are never trimmed
  bool quoted = i < n && dn[i] == '"';
  if (quoted) ++i;
  for (; i < n; ++i) {
    const char c = dn[i];
    if (c == '\\') {
      if (i + 1 == n) {
        raw.push_back('\\');  // a truncated escape stands for itself
      } else if (const int hi = hex_value(dn[i + 1]), lo = i + 2 < n ? hex_value(dn[i + 2]) : -1;
                 hi >= 0 && lo >= 0) {
        raw.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      } else {
        raw.push_back(dn[++i]);
      }
      kept = raw.size();
      continue;
    }
    if (quoted) {
      if (c == '"') {
        quoted = false;  // what follows the closing quote, up to a separator, is appended
      } else {
        raw.push_back(c);
      }
      kept = raw.size();
      continue;
    }
    if (ends_value(c)) break;
    raw.push_back(c);
    if (!is_space(c)) kept = raw.size();
  }
  raw.resize(kept);
  return false;
}

// Drops leading and trailing spaces of s[from..] and collapses inner runs to one, in place.
// With `fold`, white space becomes a space and A-Z are lower-cased on the way.
void squeeze_spaces(std::string& s, std::size_t from, bool fold) {
  std::size_t w = from;
  bool space = false;
  for (std::size_t r = from; r < s.size(); ++r) {
    const char c = s[r];
    if (c == ' ' || (fold && is_space(c))) {
      space = w > from;
      continue;
    }
    if (space) s[w++] = ' ';
    space = false;
    s[w++] = fold ? lower(c) : c;
  }
  s.resize(w);
}

// The code point of the well-formed UTF-8 sequence s[i, i + len).
UChar32 decode_utf8(std::string_view s, std::size_t i, std::size_t len) {
  static constexpr unsigned char kLeadMask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  UChar32 c = static_cast<unsigned char>(s[i]) & kLeadMask[len];
  for (std::size_t k = 1; k < len; ++k)
    c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return c;
}

// RFC 4518 preparation of a raw value holding non-ASCII bytes, appended to `out`: NFKC_Casefold
// of each run of well-formed UTF-8, white space mapped to a space; other bytes kept. Spaces are
// not squeezed.
void prepare_unicode(std::string_view raw, std::string& out) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  const std::size_t from = out.size();
  std::size_t i = 0;
  while (i < raw.size()) {
    const std::size_t start = i;
    for (std::size_t len; i < raw.size() && (len = utf8_sequence_length(raw, i)) > 0;) i += len;
    if (i > start) {
      const icu::StringPiece run(raw.data() + start, static_cast<std::int32_t>(i - start));
      const std::size_t at = out.size();
      icu::StringByteSink<std::string> sink(&out);
      if (U_SUCCESS(status)) nfkc_cf->normalizeUTF8(0, run, sink, nullptr, status);
      if (U_FAILURE(status)) {  // ICU data missing: case folding alone
        out.resize(at);
        icu::UnicodeString::fromUTF8(run).foldCase().toUTF8String(out);
      }
      // A run that prepares to nothing (default ignorables such as U+034F) between two bytes that
      // are not UTF-8 is kept as written: dropping it would join those bytes, which may then read
      // as one well-formed character that a second normalization would prepare differently.
      if (out.size() == at && start > 0 && i < raw.size()) out.append(run.data(), run.size());
    }
    if (i < raw.size()) out.push_back(raw[i++]);
  }
  // White space to a space, in place (a space is never longer than what it replaces).
  std::size_t w = from;
  for (std::size_t r = from; r < out.size();) {
    const std::size_t len = utf8_sequence_length(out, r);
    if (len <= 1) {
      out[w++] = is_space(out[r]) ? ' ' : out[r];
      ++r;
      continue;
    }
    if (u_isUWhiteSpace(decode_utf8(out, r, len))) {
      out[w++] = ' ';
    } else {
      std::copy(out.begin() + static_cast<std::ptrdiff_t>(r),
                out.begin() + static_cast<std::ptrdiff_t>(r + len),
                out.begin() + static_cast<std::ptrdiff_t>(w));
      w += len;
    }
    r += len;
  }
  out.resize(w);
}

// Appends the prepared value `v` escaped the canonical way.
void append_escaped(std::string_view v, std::string& out) {
  for (std::size_t i = 0; i < v.size();) {
    const char c = v[i];
    const std::size_t len = utf8_sequence_length(v, i);
    if (len > 1) {
      out.append(v.substr(i, len));
      i += len;
      continue;
    }
    if (len == 0 || c == '\0') {
      const auto b = static_cast<unsigned char>(c);
      out += '\\';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    } else {
      if (is_special(c) || (i == 0 && c == '#')) out += '\\';
      out += c;
    }
    ++i;
  }
}

// Escapes the ASCII value out[from..] the canonical way, in place (growing it from the back).
void escape_ascii_in_place(std::string& out, std::size_t from) {
  std::size_t extra = 0;
  for (std::size_t k = from; k < out.size(); ++k) {
    if (is_special(out[k])) ++extra;
    if (out[k] == '\0') extra += 2;
  }
  if (from < out.size() && out[from] == '#') ++extra;
  if (extra == 0) return;
  std::size_t r = out.size();
  out.resize(out.size() + extra);
  std::size_t w = out.size();
  while (r > from) {
    const char c = out[--r];
    if (c == '\0') {
      out[--w] = '0';
      out[--w] = '0';
      out[--w] = '\\';
      continue;
    }
    out[--w] = c;
    if (is_special(c) || (r == from && c == '#')) out[--w] = '\\';
  }
}

// Reads one AVA at dn[i] into `out`: "type=value", canonical. Leaves i on the separator that
// ends it, or at the end. `scratch` is spare room for non-ASCII values.
void normalize_ava(std::string_view dn, std::size_t& i, std::string& out, std::string& scratch) {
  const std::size_t n = dn.size();
  while (i < n && is_space(dn[i])) ++i;
  const std::size_t type_start = out.size();
  for (; i < n && dn[i] != '=' && !ends_value(dn[i]); ++i) out.push_back(lower(dn[i]));
  while (out.size() > type_start && is_space(out.back())) out.pop_back();
  if (i == n || dn[i] != '=') return;  // malformed: a type alone
  ++i;
  out.push_back('=');
  const std::size_t from = out.size();
  if (read_value(dn, i, out)) return;  // BER, as written
  const bool ascii = std::all_of(out.begin() + static_cast<std::ptrdiff_t>(from), out.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) {
    squeeze_spaces(out, from, true);
    escape_ascii_in_place(out, from);
    return;
  }
  const std::string raw = out.substr(from);
  out.resize(from);
  scratch.clear();
  prepare_unicode(raw, scratch);
  squeeze_spaces(scratch, 0, false);
  append_escaped(scratch, out);
}

// Sorts the '+'-separated AVAs of the canonical RDN out[from..] by type, then value.
void sort_avas(std::string& out, std::size_t from) {
  std::vector<std::pair<std::string, std::string>> avas;  // (type, value)
  std::size_t start = from;
  for (std::size_t k = from; k <= out.size(); ++k) {
    if (k < out.size() && out[k] == '\\') {
      ++k;  // canonical escapes are '\' and one character, or '\' and two hex digits
      continue;
    }
    if (k < out.size() && out[k] != '+') continue;
    const std::string_view ava(out.data() + start, k - start);
    const std::size_t eq = ava.find('=');  // types hold no '=', values only escaped ones
    avas.emplace_back(ava.substr(0, eq), eq == std::string_view::npos ? "" : ava.substr(eq));
    start = k + 1;
  }
  std::sort(avas.begin(), avas.end());
  out.resize(from);
  for (std::size_t a = 0; a < avas.size(); ++a) {
    if (a > 0) out += '+';
    out += avas[a].first;
    out += avas[a].second;
  }
}

}  // namespace

namespace dn_detail {

// Character classes of the fast path.
enum : unsigned char { kPlain, kSpace, kSeparator, kEscape, kEquals, kOther };
constexpr std::array<unsigned char, 256> kClass = [] {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    t[c] = c >= 0x80 || c == 0 || ch == '+' || ch == '"' || ch == '<' || ch == '>' ? kOther
           : is_space(ch)                                                          ? kSpace
           : ch == ',' || ch == ';'                                                ? kSeparator
           : ch == '\\'                                                            ? kEscape
           : ch == '='                                                             ? kEquals
                                                                                   : kPlain;
  }
  return t;
}();
unsigned char class_of(char c) { return kClass[static_cast<unsigned char>(c)]; }

// One pass, writing through a pointer (the result is never longer than the input). Gives up on
// anything but ASCII types and values, unescaped or with '\' before a special character, and
// single-valued RDNs.
bool normalize_simple_dn(std::string_view dn, std::string& out) {
  out.resize(dn.size());
  char* const begin = out.data();
  char* p = begin;
  const std::size_t n = dn.size();
  std::size_t i = 0;
  for (;;) {
    while (i < n && class_of(dn[i]) == kSpace) ++i;
    const char* const type = p;
    for (; i < n && class_of(dn[i]) == kPlain; ++i) *p++ = lower(dn[i]);
    if (p == type) return false;
    while (i < n && class_of(dn[i]) == kSpace) ++i;
    if (i == n || dn[i] != '=') return false;  // a type alone, or not a plain type
    *p++ = '=';
    ++i;
    char* kept = p;  // characters before `kept` are never trimmed
    while (i < n && class_of(dn[i]) == kSpace) ++i;
    if (i < n && dn[i] == '#') return false;  // BER, or an escaped leading '#'
    for (; i < n; ++i) {
      const char c = dn[i];
      switch (class_of(c)) {
        case kPlain:
          *p++ = lower(c);
          continue;
        case kSpace:
          if (p[-1] != ' ') *p++ = ' ';  // leading spaces are gone: p[-1] is in the value
          continue;
        case kEscape:
          // '\' and a special character is already canonical; hex pairs and "\ ": not here.
          if (i + 1 == n || !is_special(dn[i + 1])) return false;
          *p++ = '\\';
          *p++ = dn[++i];
          kept = p;
          continue;
        case kSeparator:
          break;
        default:
          return false;
      }
      break;
    }
    while (p > kept && p[-1] == ' ') --p;
    if (i == n) break;
    *p++ = ',';  // ',' or ';'
    ++i;
  }
  out.resize(static_cast<std::size_t>(p - begin));
  return true;
}

void normalize_dn_general(std::string_view dn, std::string& out) {
  out.clear();
  out.reserve(dn.size());
  std::size_t i = 0;
  while (i < dn.size() && is_space(dn[i])) ++i;
  if (i == dn.size()) return;
  std::string scratch;
  std::size_t rdn_start = 0;
  bool multi = false;
  for (;;) {
    normalize_ava(dn, i, out, scratch);
    if (i < dn.size() && dn[i] == '+') {
      out.push_back('+');
      multi = true;
      ++i;
      continue;
    }
    if (multi) sort_avas(out, rdn_start);
    multi = false;
    if (i >= dn.size()) break;
    out.push_back(',');  // ',' or ';' (an old RDN separator, RFC 1779)
    ++i;
    rdn_start = out.size();
  }
}

}  // namespace dn_detail

std::string normalize_dn(std::string_view dn) {
  std::string out;
  normalize_dn_into(dn, out);
  return out;
}

void normalize_dn_into(std::string_view dn, std::string& out) {
  if (!dn_detail::normalize_simple_dn(dn, out)) dn_detail::normalize_dn_general(dn, out);
}

std::string first_rdn_value(std::string_view dn) {
  std::size_t i = 0;
  while (i < dn.size() && dn[i] != '=' && !ends_value(dn[i])) ++i;
  if (i >= dn.size() || dn[i] != '=') return {};
  ++i;
  std::string value;
  read_value(dn, i, value);
  return value;
}

}  // namespace trustgate
