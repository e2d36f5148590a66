#pragma once
// A base-object search (one entry by DN, or the rootDSE with dn ""). Referrals are not chased.
#include <string>
#include <vector>

#include "common/error.h"
#include "connectors/ldap/ldap_connection.h"
#include "connectors/ldap/ldap_entry.h"

namespace trustgate {

// The entry `dn` with `attributes` (empty: all user attributes). Errors: "ldap.search" (with the
// server's result, e.g. "No such object"), "ldap.connect" when the connection broke or the read
// timed out.
Result<LdapEntry> read_base_object(LdapConnection& conn, const std::string& dn,
                                   const std::vector<std::string>& attributes);

}  // namespace trustgate
