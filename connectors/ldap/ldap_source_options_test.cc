#include "connectors/ldap/ldap_source_options.h"
#include "connectors/directory_defaults.h"

#include <gtest/gtest.h>

#include <string>

#include "connectors/filter/ldap_filter.h"
#include "connectors/ldap/ad_source.h"
#include "connectors/ldif/ldif_filter_match.h"

namespace trustgate {
namespace {

LdifRecord entry_of_class(const std::string& object_class) {
  auto document = parse_ldif(
      "dn: cn=g,dc=la,dc=example\nobjectClass: top\nobjectClass: " + object_class + "\ncn: g\n");
  EXPECT_TRUE(document && document->records.size() == 1);
  return document && !document->records.empty() ? document->records.front() : LdifRecord{};
}

TEST(LdapSourceOptionsTest, LdapAndAdSourcesDefaultToTheSharedGroupFilter) {
  EXPECT_EQ(LdapGroupOptions{}.filter, kDefaultGroupFilter);
  EXPECT_EQ(LdapSourceOptions{}.groups.filter, kDefaultGroupFilter);
  EXPECT_EQ(ad_default_options().groups.filter, kDefaultGroupFilter);
}

// Issue 14 item 4: a directory with `objectClass: group` groups (Samba, AD-shaped OpenLDAP)
// synced no groups through an ldap source, so nobody had access.
TEST(LdapSourceOptionsTest, LdapDefaultGroupFilterSelectsObjectClassGroupEntries) {
  auto filter = parse_ldap_filter(LdapGroupOptions{}.filter);
  ASSERT_TRUE(filter.has_value()) << filter.error().message;
  for (const char* group_class : {"group", "groupOfNames", "groupOfUniqueNames", "posixGroup"}) {
    EXPECT_TRUE(filter_selects(*filter, entry_of_class(group_class))) << group_class;
  }
  EXPECT_FALSE(filter_selects(*filter, entry_of_class("inetOrgPerson")));
  EXPECT_FALSE(filter_selects(*filter, entry_of_class("organizationalUnit")));
}

}  // namespace
}  // namespace trustgate
