#pragma once
// Active Directory ranged attribute retrieval ("member;range=0-1499", then "member;range=1500-*",
// ...): AD returns at most MaxValRange (1500) values of a multi-valued attribute per request,
// naming the slice it returned in the attribute description; the last slice ends in "-*".
// Samba does not force ranges, so trustgate always asks for them explicitly: the same code
// path then runs against both.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "connectors/ldap/ldap_connection.h"
#include "connectors/ldap/ldap_entry.h"

namespace trustgate {

inline constexpr std::size_t kAdDefaultRangeStep = 1500;

// "member;range=1500-2999" -> {"member", 1500, 2999}; "member;range=1500-*" -> high nullopt.
// nullopt when `description` carries no well-formed range option (or high < low). The base
// attribute name is returned as written; other options (";binary") are kept in it.
struct AttributeRange {
  std::string attribute;
  std::size_t low = 0;
  std::optional<std::size_t> high;  // nullopt: "*", the last slice
};
std::optional<AttributeRange> parse_attribute_range(std::string_view description);

// The attribute description asking for `step` values from `low`: "member;range=low-(low+step-1)".
std::string range_request(std::string_view attribute, std::size_t low, std::size_t step);

// What one entry says about a ranged attribute `attribute` (case-insensitive): the values it
// carries and where the next slice starts.
struct RangeSlice {
  std::vector<std::string> values;
  std::optional<std::size_t> next_low;  // nullopt: complete
};
// Reads `attribute` from an entry fetched with a range request starting at `expected_low`.
// A plain (unranged) attribute, or no attribute at all, is complete. Error "ldap.range" when the
// server returned a slice that does not start at `expected_low` (values would be lost or doubled).
Result<RangeSlice> take_range_slice(LdapEntry& entry, std::string_view attribute,
                                    std::size_t expected_low);

// All values of `attribute` of the object `dn`, read slice by slice from `low` (base-object
// searches), `step` values asked for at a time. `values` holds what was read already (the
// slices before `low`) and is appended to. Errors: "ldap.search" / "ldap.connect" from the
// reads, "ldap.range" on an inconsistent answer.
Result<std::vector<std::string>> read_ranged_values(LdapConnection& conn, const std::string& dn,
                                                    const std::string& attribute,
                                                    std::vector<std::string> values = {},
                                                    std::size_t low = 0,
                                                    std::size_t step = kAdDefaultRangeStep);

// All values of a group's member attribute, from the first slice on.
inline Result<std::vector<std::string>> read_ranged_member(LdapConnection& conn,
                                                           const std::string& dn,
                                                           std::size_t step = kAdDefaultRangeStep) {
  return read_ranged_values(conn, dn, "member", {}, 0, step);
}

}  // namespace trustgate
