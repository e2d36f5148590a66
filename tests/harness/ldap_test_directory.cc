#include "tests/harness/ldap_test_directory.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "mapping/dn.h"
#include "tests/harness/slapd.h"

namespace trustgate::ldap_test {

std::string username(int i) { return fmt::format("user{:04d}", i); }
std::string user_dn(int i) { return fmt::format("uid={},{}", username(i), kPeople); }
std::string group_dn(const std::string& cn) { return fmt::format("cn={},{}", cn, kGroups); }

std::string user_ldif(int i) {
  return fmt::format(
      "dn: {}\n"
      "objectClass: inetOrgPerson\n"
      "uid: {}\n"
      "cn: User {}\n"
      "sn: {}\n"
      "mail: {}@la.example\n"
      "\n",
      user_dn(i), username(i), i, i, username(i));
}

std::string directory_ldif(int users) {
  std::string ldif = SlapdServer::base_ldif();
  ldif += fmt::format(
      "dn: {}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
      "cn: reader\nuserPassword: {}\n\n",
      kReaderDn, kReaderPassword);
  for (int i = 1; i <= users; ++i) ldif += user_ldif(i);
  ldif +=
      fmt::format("dn: cn=No Uid,{}\nobjectClass: inetOrgPerson\ncn: No Uid\nsn: Uid\n\n", kPeople);
  ldif += fmt::format("dn: {}\nobjectClass: groupOfNames\ncn: staff\ndescription: All staff\n",
                      group_dn("staff"));
  for (int i = 1; i <= std::min(users, 5); ++i) ldif += fmt::format("member: {}\n", user_dn(i));
  ldif += "\n";
  ldif += fmt::format("dn: {}\nobjectClass: groupOfUniqueNames\ncn: heads\nuniqueMember: {}\n\n",
                      group_dn("heads"), user_dn(2));
  ldif +=
      fmt::format("dn: {}\nobjectClass: posixGroup\ncn: posix\ngidNumber: 5000\nmemberUid: {}\n\n",
                  group_dn("posix"), username(3));
  ldif +=
      fmt::format("dn: {}\nobjectClass: groupOfNames\ncn: all-staff\nmember: {}\nmember: {}\n\n",
                  group_dn("all-staff"), group_dn("staff"), group_dn("heads"));
  return ldif;
}

LdapSourceOptions source_options(const std::string& url, bool incremental) {
  LdapSourceOptions o;
  o.name = "openldap";
  o.url = url;
  o.bind_dn = kReaderDn;
  o.bind_password = kReaderPassword;
  o.page_size = 25;
  o.timeout = std::chrono::seconds{20};
  o.users.base = kPeople;
  o.users.disabled_attr = "employeeType";
  o.users.disabled_values = {"disabled"};
  o.groups.base = kGroups;
  o.incremental = incremental;
  return o;
}

const DirectoryUser* find_user_by_name(const DirectorySnapshot& s, const std::string& name) {
  for (const auto& u : s.users)
    if (u.username == name) return &u;
  return nullptr;
}

const DirectoryUser* find_user_by_id(const DirectorySnapshot& s, const std::string& id) {
  for (const auto& u : s.users)
    if (u.id == id) return &u;
  return nullptr;
}

const DirectoryGroup* find_group(const DirectorySnapshot& s, const std::string& name) {
  for (const auto& g : s.groups)
    if (g.name == name) return &g;
  return nullptr;
}

std::vector<std::string> members(const DirectorySnapshot& s, const std::string& name) {
  std::vector<std::string> out;
  if (const auto* g = find_group(s, name))
    for (const auto& dn : g->member_dns) out.push_back(normalize_dn(dn));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> current_members(const DirectorySnapshot& s, const std::string& name) {
  std::set<std::string> known;
  for (const auto& u : s.users) known.insert(normalize_dn(u.dn));
  for (const auto& g : s.groups) known.insert(normalize_dn(g.dn));
  auto out = members(s, name);
  std::erase_if(out, [&](const std::string& dn) { return !known.contains(dn); });
  return out;
}

std::string canonical(const DirectorySnapshot& s) {
  std::set<std::string> known;
  for (const auto& u : s.users) known.insert(normalize_dn(u.dn));
  for (const auto& g : s.groups) known.insert(normalize_dn(g.dn));
  std::vector<std::string> lines;
  for (const auto& u : s.users)
    lines.push_back(fmt::format("user {} {} {} {} {} {}", u.id, normalize_dn(u.dn), u.username,
                                u.display_name, u.email, u.enabled));
  for (const auto& g : s.groups) {
    std::vector<std::string> dns;
    for (const auto& dn : g.member_dns)
      if (known.contains(normalize_dn(dn))) dns.push_back(normalize_dn(dn));
    std::sort(dns.begin(), dns.end());
    auto uids = g.member_uids;
    std::sort(uids.begin(), uids.end());
    lines.push_back(fmt::format("group {} {} {} [{}] [{}]", g.id, normalize_dn(g.dn), g.name,
                                fmt::join(dns, ";"), fmt::join(uids, ";")));
  }
  std::sort(lines.begin(), lines.end());
  lines.push_back(fmt::format("malformed {}", s.malformed_entries));
  return fmt::format("{}", fmt::join(lines, "\n"));
}

}  // namespace trustgate::ldap_test
