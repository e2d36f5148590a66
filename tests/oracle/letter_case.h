#pragma once
// Upper and lower case of the few letters the oracle tests write: ASCII and ż ó ł ś é ß (their
// capitals). A hand-written table, not a Unicode library: the tests use no other letters, and
// for these the mapping is obviously right (ß has no one-letter capital: "SS").
#include <string>
#include <string_view>
#include <vector>

namespace trustgate::oracle {

// `text` split into UTF-8 code points (each one to four bytes).
std::vector<std::string> code_points(std::string_view text);
// The capital / small form of one code point; other code points unchanged.
std::string upper(const std::string& cp);
std::string lower(const std::string& cp);
// The decomposed form (NFD) of ó Ó é É: the base letter and U+0301; empty for others.
std::string decomposed(const std::string& cp);
// True when every byte is ASCII.
bool is_ascii(std::string_view text);
// `text` with its first code point capitalised.
std::string capitalised(std::string_view text);

}  // namespace trustgate::oracle
