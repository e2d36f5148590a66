#pragma once
// An RFC 2849 LDIF reader for content records (dn + attributes). Change records and URL
// values ("attr:< file:///...") are not supported and are reported as record errors.
//
// A malformed record is skipped and reported with the number of the offending line; the
// records around it are still read. Error messages name attributes and lines, never values
// (an LDIF file may carry secrets such as userPassword).
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace trustgate {

struct LdifAttribute {
  std::string name;   // the attribute description as written, options kept: "member;range=0-1499"
  std::string value;  // decoded (base64 values are decoded; may hold binary data)
};

// An attribute line whose value could not be decoded (bad base64): the record is kept without
// it, and its reader decides whether the entry is still usable (it is when nothing it reads is
// broken: a corrupt jpegPhoto must not drop a user).
struct LdifBadValue {
  std::size_t line = 0;
  std::string attribute;  // the description as written
};

struct LdifRecord {
  std::size_t line = 0;  // 1-based line of the record's "dn:" line
  std::string dn;
  std::vector<LdifAttribute> attributes;  // in file order
  std::vector<LdifBadValue> bad_values;   // attribute lines left out, in file order

  // Lookups compare attribute names case-insensitively. `values` matches the whole
  // description ("member" does not match "member;range=0-1499"); `values_of_type` matches the
  // type and ignores options ("member" matches both).
  std::vector<std::string> values(std::string_view name) const;
  std::vector<std::string> values_of_type(std::string_view type) const;
  // The first value of the exact description, or nullptr.
  const std::string* first(std::string_view name) const;
  bool has(std::string_view name) const { return first(name) != nullptr; }
};

struct LdifError {
  std::size_t line = 0;  // 1-based line where the problem is
  std::string message;   // names the line and the problem, never a value
};

struct LdifDocument {
  std::vector<LdifRecord> records;
  std::vector<LdifError> errors;  // one per skipped record, in file order
};

// Parses LDIF text. Fails as a whole ("ldif.version") only for a version other than 1;
// everything else wrong is a per-record error. Accepts LF and CRLF line ends and a UTF-8 BOM.
Result<LdifDocument> parse_ldif(std::string_view text);

// Reads and parses a file. Fails ("ldif.io") when the file can't be read.
Result<LdifDocument> read_ldif_file(const std::filesystem::path& path);

namespace ldif {
// Case-insensitive ASCII comparison, as LDAP attribute types and objectClass names compare.
bool iequals(std::string_view a, std::string_view b);
}  // namespace ldif

}  // namespace trustgate
