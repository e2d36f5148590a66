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
std::string strip_optional_uid(std::string value) {
  if (value.size() < 4 || !value.ends_with("'B")) return value;
  const auto hash = value.rfind("#'");
  if (hash == std::string::npos || value.size() < hash + 4) return value;
  const std::string_view bits = std::string_view(value).substr(hash + 2, value.size() - hash - 4);
  if (bits.find_first_not_of("01") != std::string_view::npos) return value;
  value.resize(hash);
  return value;
}

// The first value of `name`, moved out of the entry ("" when absent).
std::string take_first(LdapEntry& entry, const std::string& name) {
  auto* values = entry.find(name);
  return values == nullptr || values->empty() ? std::string() : std::move(values->front());
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

Result<DirectoryUser> to_user(LdapEntry entry, const LdapUserOptions& o) {
  DirectoryUser user;
  user.dn = std::move(entry.dn);
  user.id = take_first(entry, o.id_attr);
  user.username = take_first(entry, o.username_attr);
  if (user.id.empty())
    return fail("ldap.malformed", fmt::format("user '{}' has no {}", user.dn, o.id_attr));
  if (user.username.empty())
    return fail("ldap.malformed", fmt::format("user '{}' has no {}", user.dn, o.username_attr));
  user.display_name = o.display_name_attr.empty() ? "" : take_first(entry, o.display_name_attr);
  user.email = o.email_attr.empty() ? "" : take_first(entry, o.email_attr);
  if (!o.disabled_attr.empty()) {
    for (const auto& value : entry.values(o.disabled_attr)) {
      for (const auto& disabled : o.disabled_values) {
        if (strcasecmp(value.c_str(), disabled.c_str()) == 0) user.enabled = false;
      }
    }
  }
  return user;
}

Result<DirectoryGroup> to_group(LdapEntry entry, const LdapGroupOptions& o) {
  DirectoryGroup group;
  group.dn = std::move(entry.dn);
  group.id = take_first(entry, o.id_attr);
  group.name = take_first(entry, o.name_attr);
  if (group.id.empty())
    return fail("ldap.malformed", fmt::format("group '{}' has no {}", group.dn, o.id_attr));
  if (group.name.empty())
    return fail("ldap.malformed", fmt::format("group '{}' has no {}", group.dn, o.name_attr));
  group.description = take_first(entry, "description");
  for (const auto& attr : o.member_attrs) {
    auto* values = entry.find(attr);
    if (values == nullptr) continue;
    if (group.member_dns.empty()) group.member_dns.reserve(values->size());
    for (auto& dn : *values) group.member_dns.push_back(strip_optional_uid(std::move(dn)));
    values->clear();  // an attribute named twice in member_attrs is read once
  }
  if (!o.member_uid_attr.empty()) {
    if (auto* uids = entry.find(o.member_uid_attr)) {
      group.member_uids = std::move(*uids);
      uids->clear();
    }
  }
  return group;
}

}  // namespace trustgate
