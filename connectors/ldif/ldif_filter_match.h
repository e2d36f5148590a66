#pragma once
// Evaluates an RFC 4515 filter against an LDIF record the way an LDAP server evaluates a
// search filter against an entry (RFC 4511 §4.5.1.7), so that an LDIF file selects the entries
// an LDAP source configured alike would get from its server.
//
// Three-valued: an item is TRUE, FALSE or Undefined; (&...) is FALSE when a child is FALSE,
// else Undefined when a child is, else TRUE; (|...) the dual; (!...) swaps TRUE and FALSE and
// keeps Undefined. A search returns an entry only when its filter is TRUE.
//
// Matching, without a schema:
// - attribute types compare case-insensitively; a filter description with options
//   ("cn;lang-en") matches values carrying those options; a plain type matches its values
//   with any options. AD's "range=..." is a retrieval option, not part of the stored
//   attribute: "member;range=0-1499" values are "member" values.
// - equality and substrings use caseIgnoreMatch / caseIgnoreSubstringsMatch: ASCII case
//   folded, leading and trailing spaces dropped, inner runs of spaces as one (RFC 4518,
//   without Unicode folding). DN-valued attributes (member, uniqueMember, memberOf, manager,
//   owner, seeAlso, distinguishedName, roleOccupant, secretary) compare as normalized DNs.
// - an absent attribute makes equality, substrings and presence FALSE (every type counts as
//   known: there is no schema to call one unknown), so "(!(leaver=TRUE))" is TRUE for an
//   entry without `leaver`.
// - ordering (>=, <=), approximate (~=) and extensible items are not evaluated: without a
//   schema their matching rules (integer or string ordering, bit masks) can't be chosen, and
//   a guess would select different entries than the server. They are Undefined here, and
//   config validation refuses them on ldif sources (ldif_filter_unsupported).
#include <string>

#include "connectors/filter/ldap_filter.h"
#include "connectors/ldif/ldif_reader.h"

namespace trustgate {

enum class FilterResult { False, True, Undefined };

FilterResult evaluate_filter(const LdapFilter& filter, const LdifRecord& record);

// True when the filter selects the record (evaluates to TRUE).
inline bool filter_selects(const LdapFilter& filter, const LdifRecord& record) {
  return evaluate_filter(filter, record) == FilterResult::True;
}

// "" when every item of `filter` can be evaluated here; else a sentence naming the first item
// that can't ("'uidNumber>=...': ordering matches (>=, <=) are not supported on ldif sources").
std::string ldif_filter_unsupported(const LdapFilter& filter);

}  // namespace trustgate
