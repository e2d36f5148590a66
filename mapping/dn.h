#pragma once
#include <string>
#include <string_view>

namespace trustgate {

// A DN in a canonical form, so that DNs the directory holds equal (distinguishedNameMatch with
// caseIgnoreMatch values) compare equal as strings, and different ones differ:
//  - each attribute value is unescaped to its raw bytes: RFC 4514 escapes ('\' and a special
//    character, '\' and a hex pair, hex pairs forming UTF-8) and RFC 1779/2253 quoted values
//    ("a,b"); unescaped spaces around types, values and separators are dropped; ';' separates
//    RDNs as ',' does;
//  - the raw value is prepared as RFC 4518 does for caseIgnoreMatch: NFKC with full case
//    folding (ICU's NFKC_Casefold; ASCII only maps A-Z), white space mapped to a space, leading
//    and trailing spaces removed, inner runs of spaces collapsed to one;
//  - the value is escaped one way: '\' before " + , ; < > \ = and before a leading '#', "\00"
//    for NUL, "\xx" (lower-case hex) for bytes that are not well-formed UTF-8; nothing else;
//  - attribute types are lower-cased (ASCII); OID types ("2.5.4.3=") are kept as written, not
//    mapped to names; the AVAs of a multi-valued RDN ("cn=a+uid=b") are sorted by type, then
//    value;
//  - a '#' hex value (BER) is kept as written, hex digits lower-cased, not decoded.
// normalize_dn(normalize_dn(x)) == normalize_dn(x). Malformed input (no '=', truncated escapes,
// unterminated quotes) gives some deterministic result, never a failure: a '\' before a
// character that is neither special nor hex stands for that character, and a '\' at the end for
// itself.
std::string normalize_dn(std::string_view dn);
// The same, written into `out` (cleared first): lets hot loops reuse one buffer.
void normalize_dn_into(std::string_view dn, std::string& out);

// The raw value of the first RDN, unescaped and unquoted as normalize_dn reads it but not
// prepared (case and inner spaces kept): "cn=Smith\2C John,ou=g" -> "Smith, John". A '#' hex
// value is returned as written, its hex digits lower-cased. Empty if malformed.
std::string first_rdn_value(std::string_view dn);

}  // namespace trustgate
