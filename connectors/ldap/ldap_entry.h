#pragma once
// A search result entry copied out of libldap: its DN and attribute values, attribute names
// lower-cased (LDAP attribute names are case-insensitive).
#include <ldap.h>

#include <map>
#include <string>
#include <vector>

namespace trustgate {

struct LdapEntry {
  std::string dn;
  std::map<std::string, std::vector<std::string>> attributes;

  // The first value of `name` (any case), or "" when absent.
  std::string first(const std::string& name) const;
  // All values of `name` (any case); empty when absent.
  const std::vector<std::string>& values(const std::string& name) const;
  // The values of `name` (any case) to move out of; nullptr when absent.
  std::vector<std::string>* find(const std::string& name);
};

// Copies the entry `msg` (an LDAP_RES_SEARCH_ENTRY) of connection `ld`.
LdapEntry read_entry(LDAP* ld, LDAPMessage* msg);

}  // namespace trustgate
