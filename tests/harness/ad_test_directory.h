#pragma once
// Test data for the Active Directory integration tests: LDIF for users and groups in an OU of a
// test's own on SambaDc, and the source options to read it as Administrator.
#include <string>
#include <vector>

#include "connectors/ldap/ldap_source_options.h"
#include "tests/harness/samba_dc.h"

namespace trustgate::ad_test {

// Creates OU=<name>,<parent> on `dc` and returns its DN. The shared DC outlives tests: each
// test that changes the directory works in an OU of its own.
std::string scratch_ou(SambaDc& dc, const std::string& name,
                       const std::string& parent = SambaDc::kBaseDn);

// A user CN=<name>,<ou> (sAMAccountName and displayName <name>) with `extra` attribute lines.
std::string user_ldif(const std::string& ou, const std::string& name,
                      const std::string& extra = "userAccountControl: 512\n");
// A group CN=<name>,<ou> (sAMAccountName <name>) with these member DNs.
std::string group_ldif(const std::string& ou, const std::string& name,
                       const std::vector<std::string>& members = {});
// A changetype-modify record adding ("add") or removing ("delete") one member value.
std::string member_change(const std::string& group_dn, const std::string& op,
                          const std::string& member_dn);

// ad_default_options() reading `dc` as Administrator over plain LDAP.
LdapSourceOptions source_options(SambaDc& dc, const std::string& users_base,
                                 const std::string& groups_base, bool incremental);

}  // namespace trustgate::ad_test
