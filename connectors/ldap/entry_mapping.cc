#include "connectors/ldap/entry_mapping.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>

namespace trustgate {
namespace {

void add_unique(std::vector<std::string>& attrs, const std::string& name) {
  if (name.empty()) return;
  const bool present = std::any_of(attrs.begin(), attrs.end(), [&](const std::string& a) {
    return strcasecmp(a.c_str(), name.c_str()) == 0;
  });
  if (!present) attrs.push_back(name);
}

// uniqueMember is nameAndOptionalUID: "dn#'0101'B". The optional bit-string UID is dropped.
std::string strip_optional_uid(const std::string& value) {
  const auto hash = value.rfind("#'");
  if (hash == std::string::npos || value.size() < hash + 4 ||
      value.substr(value.size() - 2) != "'B")
    return value;
  const std::string bits = value.substr(hash + 2, value.size() - hash - 4);
  if (bits.find_first_not_of("01") != std::string::npos) return value;
  return value.substr(0, hash);
}

}  // namespace

std::vector<std::string> user_attributes(const LdapUserOptions& o) {
  std::vector<std::string> attrs;
  for (const auto* a :
       {&o.id_attr, &o.username_attr, &o.display_name_attr, &o.email_attr, &o.disabled_attr})
    add_unique(attrs, *a);
  return attrs;
}

std::vector<std::string> group_attributes(const LdapGroupOptions& o) {
  std::vector<std::string> attrs;
  add_unique(attrs, o.id_attr);
  add_unique(attrs, o.name_attr);
  add_unique(attrs, "description");
  for (const auto& a : o.member_attrs) add_unique(attrs, a);
  add_unique(attrs, o.member_uid_attr);
  return attrs;
}

Result<DirectoryUser> to_user(const LdapEntry& entry, const LdapUserOptions& o) {
  DirectoryUser user;
  user.dn = entry.dn;
  user.id = entry.first(o.id_attr);
  user.username = entry.first(o.username_attr);
  if (user.id.empty())
    return fail("ldap.malformed", fmt::format("user '{}' has no {}", entry.dn, o.id_attr));
  if (user.username.empty())
    return fail("ldap.malformed", fmt::format("user '{}' has no {}", entry.dn, o.username_attr));
  user.display_name = o.display_name_attr.empty() ? "" : entry.first(o.display_name_attr);
  user.email = o.email_attr.empty() ? "" : entry.first(o.email_attr);
  if (!o.disabled_attr.empty()) {
    for (const auto& value : entry.values(o.disabled_attr)) {
      for (const auto& disabled : o.disabled_values) {
        if (strcasecmp(value.c_str(), disabled.c_str()) == 0) user.enabled = false;
      }
    }
  }
  return user;
}

Result<DirectoryGroup> to_group(const LdapEntry& entry, const LdapGroupOptions& o) {
  DirectoryGroup group;
  group.dn = entry.dn;
  group.id = entry.first(o.id_attr);
  group.name = entry.first(o.name_attr);
  if (group.id.empty())
    return fail("ldap.malformed", fmt::format("group '{}' has no {}", entry.dn, o.id_attr));
  if (group.name.empty())
    return fail("ldap.malformed", fmt::format("group '{}' has no {}", entry.dn, o.name_attr));
  group.description = entry.first("description");
  for (const auto& attr : o.member_attrs) {
    for (const auto& dn : entry.values(attr)) group.member_dns.push_back(strip_optional_uid(dn));
  }
  if (!o.member_uid_attr.empty()) group.member_uids = entry.values(o.member_uid_attr);
  return group;
}

}  // namespace trustgate
