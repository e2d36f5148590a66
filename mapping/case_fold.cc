#include "mapping/case_fold.h"

#include <unicode/stringpiece.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

namespace trustgate {

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  const std::size_t left = s.size() - i;
  auto cont = [&](std::size_t k) { return k < left && (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

std::string fold_case(std::string_view utf8) {
  std::string out;
  std::size_t i = 0;
  for (; i < utf8.size() && static_cast<unsigned char>(utf8[i]) < 0x80; ++i) {
    const char c = utf8[i];
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  // The rest: each run of well-formed UTF-8 is folded by ICU; other bytes are kept.
  while (i < utf8.size()) {
    const std::size_t start = i;
    for (std::size_t len; i < utf8.size() && (len = utf8_sequence_length(utf8, i)) > 0;) i += len;
    if (i > start) {
      auto run = icu::UnicodeString::fromUTF8(
          icu::StringPiece(utf8.data() + start, static_cast<std::int32_t>(i - start)));
      run.foldCase(U_FOLD_CASE_DEFAULT).toUTF8String(out);
    }
    if (i < utf8.size()) out.push_back(utf8[i++]);
  }
  return out;
}

}  // namespace trustgate
