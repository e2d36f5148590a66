#pragma once
// Test data for the LDAP integration tests: LDIF for users and groups under SlapdServer's
// suffix, and the source options to read them.
#include <string>
#include <vector>

#include "connectors/ldap/ldap_source_options.h"
#include "mapping/directory_snapshot.h"

namespace trustgate::ldap_test {

inline constexpr const char* kPeople = "ou=people,dc=la,dc=example";
inline constexpr const char* kGroups = "ou=groups,dc=la,dc=example";
inline constexpr const char* kReaderDn = "cn=reader,dc=la,dc=example";
inline constexpr const char* kReaderPassword = "reader-secret";

std::string username(int i);  // "user0001"
std::string user_dn(int i);   // "uid=user0001,ou=people,dc=la,dc=example"
std::string group_dn(const std::string& cn);
std::string user_ldif(int i);

// The suffix, ou=people, ou=groups, the reader account, users 1..n, one malformed person (no
// uid) and these groups:
//   staff      groupOfNames        member users 1..5
//   heads      groupOfUniqueNames  uniqueMember user 2
//   posix      posixGroup          memberUid user0003
//   all-staff  groupOfNames        member cn=staff and cn=heads (nesting)
std::string directory_ldif(int users);

// Options reading that directory at `url` as the reader, with the test's disabled attribute
// (employeeType: disabled).
LdapSourceOptions source_options(const std::string& url, bool incremental);

const DirectoryUser* find_user_by_name(const DirectorySnapshot& s, const std::string& username);
const DirectoryUser* find_user_by_id(const DirectorySnapshot& s, const std::string& id);
const DirectoryGroup* find_group(const DirectorySnapshot& s, const std::string& name);
// Lower-cased, sorted member DNs of group `name` (empty when the group is absent).
std::vector<std::string> members(const DirectorySnapshot& s, const std::string& name);
// The same, only the values that name a user or group of the snapshot: the members as mapping
// sees them.
std::vector<std::string> current_members(const DirectorySnapshot& s, const std::string& name);
// A canonical text form (sorted, DN-normalised) to compare two snapshots. Member DNs naming no
// user or group of the snapshot are left out: a dangling DN (a deleted entry the server's
// refint did not clean up, e.g. in uniqueMember) and an absent one mean the same to mapping.
std::string canonical(const DirectorySnapshot& s);

}  // namespace trustgate::ldap_test
