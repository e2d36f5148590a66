#include "connectors/ldap/entry_mapping.h"

#include <gtest/gtest.h>

namespace trustgate {
namespace {

LdapEntry entry(std::string dn, std::map<std::string, std::vector<std::string>> attrs) {
  return LdapEntry{std::move(dn), std::move(attrs)};
}

TEST(EntryMappingTest, ReadsUserAttributesCaseInsensitively) {
  LdapUserOptions o;
  o.disabled_attr = "employeeType";
  auto e = entry("uid=ann,ou=people,dc=x", {{"entryuuid", {"u-1"}},
                                            {"uid", {"ann"}},
                                            {"cn", {"Ann Smith"}},
                                            {"mail", {"ann@x", "other@x"}},
                                            {"employeetype", {"Disabled"}}});
  auto u = to_user(e, o);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->id, "u-1");
  EXPECT_EQ(u->username, "ann");
  EXPECT_EQ(u->display_name, "Ann Smith");
  EXPECT_EQ(u->email, "ann@x");
  EXPECT_FALSE(u->enabled);
}

TEST(EntryMappingTest, UserWithoutIdOrUsernameIsMalformed) {
  LdapUserOptions o;
  auto no_id = to_user(entry("uid=a,dc=x", {{"uid", {"a"}}}), o);
  ASSERT_FALSE(no_id);
  EXPECT_EQ(no_id.error().code, "ldap.malformed");
  EXPECT_NE(no_id.error().message.find("uid=a,dc=x"), std::string::npos);
  EXPECT_FALSE(to_user(entry("cn=b,dc=x", {{"entryuuid", {"x"}}}), o));
}

TEST(EntryMappingTest, GroupCollectsMemberDnsAndUids) {
  LdapGroupOptions o;
  auto e = entry("cn=g,dc=x", {{"entryuuid", {"g-1"}},
                               {"cn", {"g"}},
                               {"member", {"uid=a,dc=x"}},
                               {"uniquemember", {"uid=b,dc=x#'0101'B", "uid=c,dc=x"}},
                               {"memberuid", {"d"}}});
  auto g = to_group(e, o);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->member_dns, (std::vector<std::string>{"uid=a,dc=x", "uid=b,dc=x", "uid=c,dc=x"}));
  EXPECT_EQ(g->member_uids, std::vector<std::string>{"d"});
}

TEST(EntryMappingTest, RequestedAttributesIncludeEntryUuidOnce) {
  LdapUserOptions u;
  u.disabled_attr = "employeeType";
  auto attrs = user_attributes(u);
  EXPECT_EQ(attrs, (std::vector<std::string>{"entryUUID", "uid", "cn", "mail", "employeeType"}));
  LdapGroupOptions g;
  auto gattrs = group_attributes(g);
  EXPECT_EQ(gattrs, (std::vector<std::string>{"entryUUID", "cn", "description", "member",
                                              "uniqueMember", "memberUid"}));
}

}  // namespace
}  // namespace trustgate
