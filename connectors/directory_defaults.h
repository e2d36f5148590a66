#pragma once
// Defaults every source type shares, defined once so that an LDIF preview, an LDAP source and
// an AD source configured alike select the same groups.
#include <string_view>

namespace trustgate {

// The groups of every source type unless [source.groups] filter is set: the group classes of
// OpenLDAP schemas (groupOfNames, groupOfUniqueNames, posixGroup) and of AD and Samba (group),
// as directories of either kind may hold both.
inline constexpr std::string_view kDefaultGroupFilter =
    "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group)"
    "(objectClass=posixGroup))";

}  // namespace trustgate
