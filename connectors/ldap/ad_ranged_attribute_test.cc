#include "connectors/ldap/ad_ranged_attribute.h"

#include <gtest/gtest.h>

namespace trustgate {
namespace {

TEST(AdRangedAttributeTest, ParsesBoundedAndFinalRanges) {
  auto r = parse_attribute_range("member;range=0-1499");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->attribute, "member");
  EXPECT_EQ(r->low, 0u);
  EXPECT_EQ(r->high, 1499u);
  auto last = parse_attribute_range("member;range=1500-*");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->low, 1500u);
  EXPECT_FALSE(last->high);
}

TEST(AdRangedAttributeTest, KeepsOtherOptionsAndIgnoresCase) {
  auto r = parse_attribute_range("Member;binary;RANGE=3-4");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->attribute, "Member;binary");
  EXPECT_EQ(r->low, 3u);
  EXPECT_EQ(r->high, 4u);
}

TEST(AdRangedAttributeTest, RejectsMalformedRanges) {
  for (const char* bad :
       {"member", "member;range=", "member;range=5", "member;range=a-b", "member;range=10-2",
        "member;range=-5", ";range=0-1", "member;range=0-1;range=2-3", "member;range=0-1x"})
    EXPECT_FALSE(parse_attribute_range(bad)) << bad;
}

TEST(AdRangedAttributeTest, BuildsRequests) {
  EXPECT_EQ(range_request("member", 0, 1500), "member;range=0-1499");
  EXPECT_EQ(range_request("member", 1500, 1500), "member;range=1500-2999");
  EXPECT_EQ(range_request("member", 7, 0), "member;range=7-7");
}

LdapEntry entry_with(const std::string& attribute, std::vector<std::string> values) {
  LdapEntry e;
  e.dn = "CN=g,DC=x";
  e.attributes[attribute] = std::move(values);
  return e;
}

TEST(AdRangedAttributeTest, SliceGivesTheNextStart) {
  auto e = entry_with("member;range=0-2", {"a", "b", "c"});
  auto s = take_range_slice(e, "member", 0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->values, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(s->next_low, 3u);
  EXPECT_TRUE(e.attributes.empty());
}

TEST(AdRangedAttributeTest, FinalSliceIsComplete) {
  auto e = entry_with("member;range=3-*", {"d"});
  auto s = take_range_slice(e, "MEMBER", 3);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->values, std::vector<std::string>{"d"});
  EXPECT_FALSE(s->next_low);
}

TEST(AdRangedAttributeTest, ServerMayReturnFewerValuesThanAskedFor) {
  // Asked for 0-4999, AD caps at MaxValRange: the next request starts after what came back.
  auto e = entry_with("member;range=0-1499", std::vector<std::string>(1500, "x"));
  auto s = take_range_slice(e, "member", 0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->next_low, 1500u);
}

TEST(AdRangedAttributeTest, UnrangedOrAbsentAttributeIsComplete) {
  auto plain = entry_with("member", {"a", "b"});
  auto s = take_range_slice(plain, "member", 0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->values.size(), 2u);
  EXPECT_FALSE(s->next_low);
  LdapEntry empty;
  auto none = take_range_slice(empty, "member", 0);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->values.empty());
  EXPECT_FALSE(none->next_low);
}

TEST(AdRangedAttributeTest, SliceNotStartingWhereAskedIsAnError) {
  auto e = entry_with("member;range=10-20", {"a"});
  auto s = take_range_slice(e, "member", 0);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "ldap.range");
}

TEST(AdRangedAttributeTest, OtherAttributesAreNotTaken) {
  auto e = entry_with("memberof;range=0-*", {"a"});
  auto s = take_range_slice(e, "member", 0);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->values.empty());
  EXPECT_EQ(e.attributes.size(), 1u);
}

}  // namespace
}  // namespace trustgate
