#pragma once
// Writes an abstract directory (directory_model.h) as trustgate reads it: an LDIF file (also
// loadable by slapadd), the main TOML with the source, and a drop-in TOML with the mapping
// (permissions, roles, institutions, clusters, rules). Member values and rule DNs are written
// in a spelling different from, but equivalent to (RFC 4514 / RFC 4518), the entry's own DN.
// Deterministic: the same model gives the same text.
#include <cstdint>
#include <string>

#include "tests/oracle/directory_model.h"

namespace trustgate::oracle {

// Where the rendered source reads the directory from.
struct SourceSpec {
  std::string type = "ldif";                 // "ldif" or "ldap"
  std::string ldif_path = "directory.ldif";  // ldif: relative to the main TOML
  std::string url;                           // ldap
  bool incremental = false;                  // ldap: syncrepl refresh instead of a plain search
};

struct RenderedDirectory {
  std::string ldif;
  std::string main_toml;     // [daemon] and the [[source]]
  std::string mapping_toml;  // for <main>.d/50-mapping.toml
};

// The entry's own DN, escaped minimally (RFC 4514), attribute types in lower case.
std::string own_dn(const Dn& dn);
// An equivalent spelling of `dn`, chosen by `seed`: attribute types in any case, values in
// another case (also ż/Ż, ß/SS), specials escaped as "\," or "\2C", characters hex-escaped
// (also the UTF-8 bytes of non-ASCII ones), ó/é decomposed (NFD), RFC 1779 quoted values,
// spaces around ',' and '=' and doubled inner spaces, the AVAs of an RDN in another order, and
// what RFC 4518 prepares away: fullwidth digits (NFKC), no-break spaces, soft hyphens, escaped
// leading and trailing spaces.
std::string spell_dn(const Dn& dn, std::uint64_t seed);
// As spell_dn without the Unicode equivalences (fullwidth digits, no-break spaces, soft
// hyphens, escaped edge spaces): for search bases, which the server compares itself.
std::string spell_base_dn(const Dn& dn, std::uint64_t seed);
// A username spelt in another case (ß as SS), as a caller may type it.
std::string spell_username(const std::string& username_key, std::uint64_t seed);

RenderedDirectory render_directory(const DirectoryModel& model, const SourceSpec& source);

// Writes `rendered` under `dir` (directory.ldif, trustgate.toml, trustgate.toml.d/); returns
// the main TOML's path.
std::string write_rendered(const std::string& dir, const RenderedDirectory& rendered);

}  // namespace trustgate::oracle
