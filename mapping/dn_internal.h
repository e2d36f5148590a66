#pragma once
// normalize_dn's two paths, declared for its differential test only.
#include <string>
#include <string_view>

namespace trustgate::dn_detail {

// The fast path: false (and `out` unspecified) when `dn` needs the general path; otherwise
// writes what normalize_dn_general would.
bool normalize_simple_dn(std::string_view dn, std::string& out);
// Every DN: parse, unescape, prepare (ICU for non-ASCII), escape canonically.
void normalize_dn_general(std::string_view dn, std::string& out);

}  // namespace trustgate::dn_detail
