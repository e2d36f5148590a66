#pragma once
// How the store spells domain values in SQLite columns. The spellings are part of the file
// format: changing one needs a migration. Decoders return nullopt on text the store never
// writes (a damaged or foreign file).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mapping/access_model.h"

namespace trustgate::store_codec {

std::string_view encode(AssociationKind k);  // "institution", "cluster", "all"
std::optional<AssociationKind> decode_association_kind(std::string_view s);

std::string_view encode(SecondFactorPolicy p);  // "always", "when_mfa"
std::optional<SecondFactorPolicy> decode_second_factor(std::string_view s);

std::string_view encode(Provenance::Kind k);  // "rule", "manual"
std::optional<Provenance::Kind> decode_provenance_kind(std::string_view s);

// A nesting chain as a JSON array of strings: ["cn=a,dc=x","cn=b,dc=x"]. Any bytes round-trip
// (DNs may hold commas, quotes, backslashes); control characters are written as \u00XX.
std::string encode_chain(const std::vector<std::string>& chain);
std::optional<std::vector<std::string>> decode_chain(std::string_view json);

}  // namespace trustgate::store_codec
