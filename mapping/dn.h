#pragma once
#include <string>
#include <string_view>

namespace trustgate {

// A DN in a canonical form for comparison: attribute types and values lower-cased, spaces
// around ',' '=' and '+' removed. "CN=Staff, OU=Groups" and "cn=staff,ou=groups" are equal.
// Escaped characters are kept as written (good enough for comparison within one directory).
std::string normalize_dn(std::string_view dn);
// The same, written into `out` (cleared first): lets hot loops reuse one buffer.
void normalize_dn_into(std::string_view dn, std::string& out);

// The value of the first RDN: "cn=Primaries,ou=g,dc=x" -> "Primaries". Empty if malformed.
std::string first_rdn_value(std::string_view dn);

}  // namespace trustgate
