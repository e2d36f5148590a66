#include "connectors/filter/ldap_filter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace trustgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Kind = LdapFilter::Kind;

LdapFilter parse_ok(std::string_view text) {
  auto filter = parse_ldap_filter(text);
  EXPECT_TRUE(filter.has_value()) << text << ": " << (filter ? "" : filter.error().message);
  return filter.value_or(LdapFilter{});
}

Error parse_error(std::string_view text, const LdapFilterLimits& limits = {}) {
  auto filter = parse_ldap_filter(text, limits);
  EXPECT_FALSE(filter.has_value()) << text;
  return filter ? Error{} : filter.error();
}

TEST(LdapFilterTest, ParsesTheItemKinds) {
  LdapFilter f = parse_ok("(cn=Staff)");
  EXPECT_EQ(f.kind, Kind::Equality);
  EXPECT_EQ(f.attribute, "cn");
  EXPECT_EQ(f.value, "Staff");

  EXPECT_EQ(parse_ok("(mail=*)").kind, Kind::Present);
  EXPECT_EQ(parse_ok("(uidNumber>=1000)").kind, Kind::GreaterOrEqual);
  EXPECT_EQ(parse_ok("(uidNumber<=1000)").kind, Kind::LessOrEqual);
  EXPECT_EQ(parse_ok("(sn~=smith)").kind, Kind::Approx);
  EXPECT_EQ(parse_ok("(description=)").value, "");  // an empty assertion value is allowed
}

TEST(LdapFilterTest, ParsesSubstringsIntoInitialAnyAndFinal) {
  LdapFilter f = parse_ok("(cn=ab*cd*ef)");
  EXPECT_EQ(f.kind, Kind::Substrings);
  EXPECT_EQ(f.initial, "ab");
  EXPECT_THAT(f.any, ElementsAre("cd"));
  EXPECT_EQ(f.final_, "ef");

  f = parse_ok("(cn=*mid*)");
  EXPECT_FALSE(f.initial.has_value());
  EXPECT_THAT(f.any, ElementsAre("mid"));
  EXPECT_FALSE(f.final_.has_value());

  f = parse_ok("(cn=Staff-*)");
  EXPECT_EQ(f.initial, "Staff-");
  EXPECT_TRUE(f.any.empty());
  EXPECT_FALSE(f.final_.has_value());
}

TEST(LdapFilterTest, ParsesAndOrNotIntoATree) {
  LdapFilter f = parse_ok("(&(objectClass=person)(|(ou=a)(ou=b))(!(employeeType=leaver)))");
  EXPECT_EQ(f.kind, Kind::And);
  ASSERT_EQ(f.children.size(), 3u);
  EXPECT_EQ(f.children[0].kind, Kind::Equality);
  EXPECT_EQ(f.children[1].kind, Kind::Or);
  EXPECT_EQ(f.children[1].children.size(), 2u);
  EXPECT_EQ(f.children[2].kind, Kind::Not);
  ASSERT_EQ(f.children[2].children.size(), 1u);
  EXPECT_EQ(f.children[2].children[0].value, "leaver");
}

TEST(LdapFilterTest, AbsoluteTrueAndFalseFiltersAreAccepted) {
  EXPECT_EQ(parse_ok("(&)").kind, Kind::And);
  EXPECT_TRUE(parse_ok("(|)").children.empty());
}

TEST(LdapFilterTest, HexEscapesAreDecodedInEveryPart) {
  EXPECT_EQ(parse_ok(R"((cn=a\2ab\28c\29\5c))").value, R"(a*b(c)\)");
  EXPECT_EQ(parse_ok(R"((cn=a\2A))").value, "a*");  // either case of hex digit
  EXPECT_EQ(parse_ok(R"((cn=\00))").value, std::string(1, '\0'));
  EXPECT_EQ(parse_ok(R"((cn=caf\c3\a9))").value, "caf\xc3\xa9");
  const LdapFilter f = parse_ok(R"((cn=\2a*\29*x\2a))");
  EXPECT_EQ(f.kind, Kind::Substrings);
  EXPECT_EQ(f.initial, "*");
  EXPECT_THAT(f.any, ElementsAre(")"));
  EXPECT_EQ(f.final_, "x*");
}

TEST(LdapFilterTest, AttributeOptionsAndOidsAreKept) {
  EXPECT_EQ(parse_ok("(cn;lang-en=x)").attribute, "cn;lang-en");
  EXPECT_EQ(parse_ok("(2.5.4.3=x)").attribute, "2.5.4.3");
}

TEST(LdapFilterTest, ParsesExtensibleMatches) {
  LdapFilter f = parse_ok("(userAccountControl:1.2.840.113556.1.4.803:=2)");
  EXPECT_EQ(f.kind, Kind::Extensible);
  EXPECT_EQ(f.attribute, "userAccountControl");
  EXPECT_EQ(f.matching_rule, "1.2.840.113556.1.4.803");
  EXPECT_EQ(f.value, "2");
  EXPECT_FALSE(f.dn_attributes);

  f = parse_ok("(ou:dn:=Staff)");
  EXPECT_TRUE(f.dn_attributes);
  EXPECT_TRUE(f.matching_rule.empty());

  f = parse_ok("(:DN:caseExactMatch:=Staff)");
  EXPECT_TRUE(f.attribute.empty());
  EXPECT_TRUE(f.dn_attributes);
  EXPECT_EQ(f.matching_rule, "caseExactMatch");
}

TEST(LdapFilterTest, SpacesBetweenComponentsAreSkippedLikeLibldapDoes) {
  const LdapFilter f = parse_ok("  ( & (objectClass=group)\n   (cn=a b ) ) ");
  ASSERT_EQ(f.children.size(), 2u);
  EXPECT_EQ(f.children[1].value, "a b ");  // inside a value, spaces are the value's
}

TEST(LdapFilterTest, MalformedFiltersAreSyntaxErrorsNamingTheCharacter) {
  struct Case {
    std::string_view text;
    std::string_view message;
  };
  for (const Case& c : {
           Case{"", "empty"},
           Case{"objectClass=person", "at character 1: expected '('"},
           Case{"(cn=a", "ends where ')' was expected"},
           Case{"(cn=a))", "at character 7: text after"},
           Case{"(&(cn=a)(cn=b)", "ends where ')' was expected"},
           Case{"(!(cn=a)(cn=b))", "at character 9: expected ')'"},
           Case{"(!)", "expected '('"},
           Case{"(=a)", "expected an attribute description"},
           Case{"(c n=a)", "'c n' is not an attribute description"},
           Case{"(1cn=a)", "not an attribute description"},
           Case{"(cn;=a)", "not an attribute description"},
           Case{"(cn)", "expected '=', '~=', '<=' or '>='"},
           Case{"(cn~a)", "expected '=' after '~'"},
           Case{"(cn=a(b)", "'(' in a value must be written \\28"},
           Case{R"((cn=a\2))", "two hex digits"},
           Case{R"((cn=a\zz))", "two hex digits"},
           Case{R"((cn=a\*))", "two hex digits"},  // RFC 1960 escapes are not RFC 4515
           Case{"(cn=a**b)", "empty substring"},
           Case{"(cn>=a*)", "'*' in this value must be written \\2a"},
           Case{"(cn:=a)", ""},  // valid: attribute with the default rule
           Case{"(:=a)", "needs a matching rule"},
           Case{"(cn:bad rule:=a)", "expected ':dn', a matching rule"},
           Case{"(cn:1.2:dn:=a)", "expected ':dn', a matching rule"},
       }) {
    auto filter = parse_ldap_filter(c.text);
    if (c.message.empty()) {
      EXPECT_TRUE(filter.has_value()) << c.text;
      continue;
    }
    ASSERT_FALSE(filter.has_value()) << c.text;
    EXPECT_EQ(filter.error().code, "filter.syntax") << c.text;
    EXPECT_THAT(filter.error().message, HasSubstr(std::string(c.message))) << c.text;
  }
  EXPECT_THAT(parse_error(std::string_view("(cn=a\0b)", 8)).message, HasSubstr("NUL"));
}

TEST(LdapFilterTest, NestingDeeperThanTheLimitIsAnErrorNotAStackOverflow) {
  std::string deep;
  for (int i = 0; i < 100'000; ++i) deep += "(!";
  deep += "(cn=a)";
  for (int i = 0; i < 100'000; ++i) deep += ")";
  const Error error = parse_error(deep, LdapFilterLimits{.max_length = deep.size()});
  EXPECT_EQ(error.code, "filter.limit");
  EXPECT_THAT(error.message, HasSubstr("nested more than 64 deep"));

  std::string ok;
  for (int i = 0; i < 63; ++i) ok += "(&";
  ok += "(cn=a)";
  for (int i = 0; i < 63; ++i) ok += ")";
  EXPECT_TRUE(parse_ldap_filter(ok).has_value());  // 64 levels: at the limit
  EXPECT_EQ(parse_error("(&" + ok + ")").code, "filter.limit");
}

TEST(LdapFilterTest, TextLongerThanTheLimitIsRefusedBeforeParsing) {
  const std::string long_filter = "(cn=" + std::string(20'000, 'a') + ")";
  const Error error = parse_error(long_filter);
  EXPECT_EQ(error.code, "filter.limit");
  EXPECT_THAT(error.message, HasSubstr("at most 16384"));
  EXPECT_THAT(error.message, ::testing::Not(HasSubstr("aaaa")));
}

TEST(LdapFilterTest, ErrorsNeverQuoteAssertionValues) {
  EXPECT_THAT(parse_error("(userPassword=s3cret(").message, ::testing::Not(HasSubstr("s3cret")));
}

}  // namespace
}  // namespace trustgate
