#pragma once
// Turns LDAP entries into the connector-neutral DirectoryUser / DirectoryGroup, as configured.
#include <string>
#include <vector>

#include "common/error.h"
#include "connectors/ldap/ldap_entry.h"
#include "connectors/ldap/ldap_source_options.h"
#include "mapping/directory_snapshot.h"

namespace trustgate {

// The attributes a search must ask for (entryUUID is operational: it must be named).
std::vector<std::string> user_attributes(const LdapUserOptions& options);
std::vector<std::string> group_attributes(const LdapGroupOptions& options);

// Error "ldap.malformed" when the entry has no id or no username; the message names the DN.
// The entry is taken by value: its strings move into the result (pass std::move when done).
Result<DirectoryUser> to_user(LdapEntry entry, const LdapUserOptions& options);
// Error "ldap.malformed" when the entry has no id or no name.
Result<DirectoryGroup> to_group(LdapEntry entry, const LdapGroupOptions& options);

}  // namespace trustgate
