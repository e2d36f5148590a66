#pragma once
// Active Directory entries -> DirectoryUser / DirectoryGroup: the LDAP mapping
// (entry_mapping.h) plus what is particular to AD: objectGUID (binary) as the canonical
// string, the account state behind "enabled", and member values read through ranges.
#include <cstddef>
#include <string>
#include <vector>

#include "common/error.h"
#include "connectors/ldap/ad_account.h"
#include "connectors/ldap/ldap_entry.h"
#include "connectors/ldap/ldap_source_options.h"
#include "mapping/directory_snapshot.h"

namespace trustgate {

// The user attributes to ask for: the configured ones, objectGUID-style ids and
// userAccountControl / accountExpires.
std::vector<std::string> ad_user_attributes(const LdapUserOptions& options);
// The group attributes to ask for, each member attribute as its first range slice
// ("member;range=0-<step-1>").
std::vector<std::string> ad_group_attributes(const LdapGroupOptions& options, std::size_t step);

// Rewrites the binary objectGUID values of `entry` in place to the canonical string form
// (format_object_guid). Error "ldap.malformed" when a value is not 16 bytes.
Result<void> normalise_guid(LdapEntry& entry);

struct AdUser {
  DirectoryUser user;  // `enabled` is as of reading; recompute from `account` with a clock
  AdAccountState account;
};
// Error "ldap.malformed" (naming the DN) when the entry has no usable id or no username.
Result<AdUser> to_ad_user(LdapEntry entry, const LdapUserOptions& options);
// `entry` must carry its member attributes complete (ranges already followed and merged under
// the plain attribute name). Error "ldap.malformed" as for to_group.
Result<DirectoryGroup> to_ad_group(LdapEntry entry, const LdapGroupOptions& options);

}  // namespace trustgate
