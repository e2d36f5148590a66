#include "mapping/group_pattern.h"

#include <gtest/gtest.h>

#include <string>

namespace trustgate {
namespace {

TEST(GroupPattern, MatchesTheWholeDnCaseInsensitivelyWithCaptures) {
  auto p = GroupPattern::compile(R"(CN=Staff-(\d+),OU=Schools,.*)");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->capture_count(), 1);
  GroupPattern::Captures c;
  ASSERT_TRUE(p->full_match("cn=staff-100015,ou=schools,dc=la,dc=example", c));
  EXPECT_EQ(c[0], "cn=staff-100015,ou=schools,dc=la,dc=example");
  EXPECT_EQ(c[1], "100015");
  EXPECT_EQ(c[2], "");
  // Anchored at both ends: a DN that merely contains a match is no match.
  EXPECT_FALSE(p->full_match("cn=x,cn=staff-1,ou=schools,dc=la", c));
  auto short_pattern = GroupPattern::compile(R"(cn=staff-(\d+))");
  ASSERT_TRUE(short_pattern);
  EXPECT_FALSE(short_pattern->full_match("cn=staff-1,ou=schools", c));
}

TEST(GroupPattern, NonAsciiLettersMatchInEitherCase) {
  auto p = GroupPattern::compile("cn=żabka-(.*)");
  ASSERT_TRUE(p);
  GroupPattern::Captures c;
  EXPECT_TRUE(p->full_match("CN=ŻABKA-Łódź", c));
  EXPECT_EQ(c[1], "Łódź");
}

// Issue 15: a group DN of ~26,000 characters overflowed the stack in std::regex (recursive) on
// every sync pass. RE2 is linear and never recurses on the subject: the longest DN it is given
// is matched, longer ones are refused without being looked at.
TEST(GroupPattern, LongDnIsMatchedInLinearTimeOrRefusedNeverACrash) {
  auto p = GroupPattern::compile(R"(cn=([a-z]+)(,.*)?)");
  ASSERT_TRUE(p);
  GroupPattern::Captures c;
  const std::string longest = "cn=" + std::string(GroupPattern::kMaxSubjectBytes - 3, 'a');
  ASSERT_TRUE(p->full_match(longest, c));
  EXPECT_EQ(c[1].size(), GroupPattern::kMaxSubjectBytes - 3);
  const std::string hostile = "cn=staff," + std::string(26000, 'a');
  EXPECT_FALSE(p->full_match(hostile, c));
}

// Issue 15: check-config segfaulted on a pattern with ~20,000 nested groups.
TEST(GroupPattern, DeepOrHugePatternsAreRefusedWithAReason) {
  std::string deep = std::string(20000, '(') + "a" + std::string(20000, ')');
  auto d = GroupPattern::compile(deep);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, "pattern.too_long");
  std::string nested = std::string(500, '(') + "a" + std::string(500, ')');
  auto n = GroupPattern::compile(nested);
  ASSERT_FALSE(n);  // nesting past RE2's limit, or more than 9 groups
  EXPECT_EQ(n.error().code, "pattern.invalid");
  auto big = GroupPattern::compile("(?:a{1000}){1000}");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, "pattern.invalid");
}

TEST(GroupPattern, BackreferencesAndBadSyntaxAreRefused) {
  EXPECT_FALSE(GroupPattern::compile(R"(cn=(a)\1)"));
  EXPECT_FALSE(GroupPattern::compile("cn=(unclosed"));
  EXPECT_FALSE(GroupPattern::compile("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)"));  // 10 captures
}

}  // namespace
}  // namespace trustgate
