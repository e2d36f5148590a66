#include "tests/harness/ad_test_directory.h"

#include "connectors/ldap/ad_source.h"

namespace trustgate::ad_test {

std::string scratch_ou(SambaDc& dc, const std::string& name, const std::string& parent) {
  const std::string dn = "OU=" + name + "," + parent;
  dc.add("dn: " + dn + "\nobjectClass: organizationalUnit\n");
  return dn;
}

std::string user_ldif(const std::string& ou, const std::string& name, const std::string& extra) {
  return "dn: CN=" + name + "," + ou + "\nobjectClass: user\nsAMAccountName: " + name +
         "\ndisplayName: " + name + "\n" + extra + "\n";
}

std::string group_ldif(const std::string& ou, const std::string& name,
                       const std::vector<std::string>& members) {
  std::string s =
      "dn: CN=" + name + "," + ou + "\nobjectClass: group\nsAMAccountName: " + name + "\n";
  for (const auto& m : members) s += "member: " + m + "\n";
  return s + "\n";
}

std::string member_change(const std::string& group_dn, const std::string& op,
                          const std::string& member_dn) {
  return "dn: " + group_dn + "\nchangetype: modify\n" + op + ": member\nmember: " + member_dn +
         "\n";
}

LdapSourceOptions source_options(SambaDc& dc, const std::string& users_base,
                                 const std::string& groups_base, bool incremental) {
  LdapSourceOptions o = ad_default_options();
  o.name = "ad";
  o.url = dc.ldap_url();
  o.bind_dn = SambaDc::kAdminDn;
  o.bind_password = SambaDc::kAdminPassword;
  o.users.base = users_base;
  o.groups.base = groups_base;
  o.incremental = incremental;
  return o;
}

}  // namespace trustgate::ad_test
