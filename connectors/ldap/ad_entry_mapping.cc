#include "connectors/ldap/ad_entry_mapping.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <cctype>

#include "connectors/ldap/ad_ranged_attribute.h"
#include "connectors/ldap/entry_mapping.h"
#include "connectors/object_guid.h"

namespace trustgate {
namespace {

bool iequals(const std::string& a, const std::string& b) {
  return strcasecmp(a.c_str(), b.c_str()) == 0;
}

void add_unique(std::vector<std::string>& attrs, const std::string& name) {
  if (name.empty()) return;
  if (std::none_of(attrs.begin(), attrs.end(), [&](const auto& a) { return iequals(a, name); }))
    attrs.push_back(name);
}

}  // namespace

std::vector<std::string> ad_user_attributes(const LdapUserOptions& options) {
  auto attrs = user_attributes(options);
  add_unique(attrs, "userAccountControl");
  add_unique(attrs, "accountExpires");
  return attrs;
}

std::vector<std::string> ad_group_attributes(const LdapGroupOptions& options, std::size_t step) {
  std::vector<std::string> out;
  for (const auto& a : group_attributes(options)) {
    const bool member = std::any_of(options.member_attrs.begin(), options.member_attrs.end(),
                                    [&](const auto& m) { return iequals(m, a); });
    out.push_back(member ? range_request(a, 0, step) : a);
  }
  return out;
}

Result<void> normalise_guid(LdapEntry& entry) {
  auto it = entry.attributes.find("objectguid");
  if (it == entry.attributes.end()) return {};
  for (auto& value : it->second) {
    auto text = format_object_guid(value);
    if (!text)
      return fail("ldap.malformed",
                  fmt::format("'{}': objectGUID is {} bytes, not 16", entry.dn, value.size()));
    value = std::move(*text);
  }
  return {};
}

Result<AdUser> to_ad_user(LdapEntry entry, const LdapUserOptions& options) {
  if (auto ok = normalise_guid(entry); !ok) return std::unexpected(ok.error());
  // The account state first: to_user takes the entry's strings.
  AdAccountState account =
      parse_account_state(entry.first("userAccountControl"), entry.first("accountExpires"));
  auto user = to_user(std::move(entry), options);
  if (!user) return std::unexpected(user.error());
  AdUser out{std::move(*user), account};
  if (out.account.uac_disabled) out.user.enabled = false;
  return out;
}

Result<DirectoryGroup> to_ad_group(LdapEntry entry, const LdapGroupOptions& options) {
  if (auto ok = normalise_guid(entry); !ok) return std::unexpected(ok.error());
  return to_group(std::move(entry), options);
}

}  // namespace trustgate
