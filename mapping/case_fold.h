#pragma once
// Unicode case folding for case-insensitive comparison of names (usernames, DN values).
#include <cstddef>
#include <string>
#include <string_view>

namespace trustgate {

// The full Unicode case folding (CaseFolding.txt, status C+F: "Straße" -> "strasse",
// "ŻANETA" -> "żaneta") of a UTF-8 string; ASCII-only input takes a fast path that only maps
// A-Z. No normalisation: a precomposed and a decomposed "Ż" stay different. Bytes that are not
// well-formed UTF-8 (overlong forms, surrogates, truncated sequences) are copied as they are,
// so any byte string folds to something and equal inputs fold equal.
std::string fold_case(std::string_view utf8);

// The length (1-4) of the well-formed UTF-8 sequence starting at s[i], or 0 when the byte at
// s[i] does not start one (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
// Requires i < s.size().
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

}  // namespace trustgate
