#pragma once
// Defaults the source types share, defined once so that an LDIF preview selects what an LDAP
// source configured alike selects, and every type the same groups.
#include <string_view>

namespace trustgate {

// The users of ldap and ldif sources unless [source.users] filter is set (ad sources default
// to AD's own schema instead).
inline constexpr std::string_view kDefaultUserFilter = "(objectClass=inetOrgPerson)";

// The groups of every source type unless [source.groups] filter is set: the group classes of
// OpenLDAP schemas (groupOfNames, groupOfUniqueNames, posixGroup) and of AD and Samba (group),
// as directories of either kind may hold both.
inline constexpr std::string_view kDefaultGroupFilter =
    "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group)"
    "(objectClass=posixGroup))";

}  // namespace trustgate
