#include "connectors/ldif/ldif_filter_match.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace trustgate {
namespace {

using ::testing::HasSubstr;

LdifRecord record(std::string_view ldif) {
  auto document = parse_ldif(ldif);
  EXPECT_TRUE(document.has_value());
  EXPECT_TRUE(document && document->records.size() == 1) << ldif;
  return document && !document->records.empty() ? document->records.front() : LdifRecord{};
}

FilterResult eval(std::string_view filter, const LdifRecord& r) {
  auto parsed = parse_ldap_filter(filter);
  EXPECT_TRUE(parsed.has_value()) << filter;
  return parsed ? evaluate_filter(*parsed, r) : FilterResult::Undefined;
}

constexpr auto True = FilterResult::True;
constexpr auto False = FilterResult::False;
constexpr auto Undefined = FilterResult::Undefined;

const LdifRecord& jo() {
  static const LdifRecord r = record(
      "dn: uid=jo,ou=people,dc=la,dc=example\n"
      "objectClass: top\n"
      "objectClass: inetOrgPerson\n"
      "uid: jo\n"
      "cn: Jo   Bloggs\n"
      "cn;lang-cy: Siân Bloggs\n"
      "employeeType: Staff\n"
      "employeeType: Governor\n"
      "manager: uid=boss, ou=people, dc=la, dc=example\n"
      "description: a(b)*c\\d\n");
  return r;
}

TEST(LdifFilterMatchTest, EqualityIgnoresCaseAndInsignificantSpaces) {
  EXPECT_EQ(eval("(uid=JO)", jo()), True);
  EXPECT_EQ(eval("(objectclass=INETORGPERSON)", jo()), True);
  EXPECT_EQ(eval("(CN=  jo bloggs )", jo()), True);
  EXPECT_EQ(eval("(cn=jobloggs)", jo()), False);
  EXPECT_EQ(eval("(uid=j)", jo()), False);
}

TEST(LdifFilterMatchTest, AnyValueOfAMultiValuedAttributeMatches) {
  EXPECT_EQ(eval("(employeeType=governor)", jo()), True);
  EXPECT_EQ(eval("(employeeType=staff)", jo()), True);
  EXPECT_EQ(eval("(employeeType=leaver)", jo()), False);
  EXPECT_EQ(eval("(employeeType=gov*)", jo()), True);
}

TEST(LdifFilterMatchTest, PresenceIsTrueOnlyWhenTheAttributeHasAValue) {
  EXPECT_EQ(eval("(mail=*)", jo()), False);
  EXPECT_EQ(eval("(UID=*)", jo()), True);
}

TEST(LdifFilterMatchTest, SubstringsMatchInitialAnyAndFinalInOrder) {
  EXPECT_EQ(eval("(cn=jo*)", jo()), True);
  EXPECT_EQ(eval("(cn=*LOGGS)", jo()), True);
  EXPECT_EQ(eval("(cn=j*b*s)", jo()), True);
  EXPECT_EQ(eval("(cn=*o b*)", jo()), True);  // the run of spaces counts as one
  EXPECT_EQ(eval("(cn=b*j)", jo()), False);
  EXPECT_EQ(eval("(uid=*o*j*)", jo()), False);  // components in order only
  EXPECT_EQ(eval("(uid=jo*o)", jo()), False);   // initial and final must not overlap
  EXPECT_EQ(eval("(uid=j*o)", jo()), True);
}

TEST(LdifFilterMatchTest, EscapedCharactersMatchThemselves) {
  EXPECT_EQ(eval(R"((description=a\28b\29\2ac\5cd))", jo()), True);
  EXPECT_EQ(eval(R"((description=*\2a*))", jo()), True);
  EXPECT_EQ(eval(R"((description=a\28b\29*))", jo()), True);
  EXPECT_EQ(eval(R"((description=a\2a*))", jo()), False);
}

TEST(LdifFilterMatchTest, AndOrNot) {
  EXPECT_EQ(eval("(&(uid=jo)(employeeType=staff))", jo()), True);
  EXPECT_EQ(eval("(&(uid=jo)(employeeType=leaver))", jo()), False);
  EXPECT_EQ(eval("(|(uid=x)(employeeType=staff))", jo()), True);
  EXPECT_EQ(eval("(|(uid=x)(uid=y))", jo()), False);
  EXPECT_EQ(eval("(!(uid=jo))", jo()), False);
  EXPECT_EQ(eval("(!(uid=x))", jo()), True);
  EXPECT_EQ(eval("(&)", jo()), True);
  EXPECT_EQ(eval("(|)", jo()), False);
}

TEST(LdifFilterMatchTest, AnAbsentAttributeIsFalseSoItsNegationIsTrue) {
  EXPECT_EQ(eval("(leaver=TRUE)", jo()), False);
  EXPECT_EQ(eval("(!(leaver=TRUE))", jo()), True);
  EXPECT_EQ(eval("(!(leaver=*))", jo()), True);
  EXPECT_EQ(eval("(!(leaver=x*))", jo()), True);
}

TEST(LdifFilterMatchTest, UndefinedStaysUndefinedUnderNotAndSelectsNothing) {
  // Ordering is not evaluated on LDIF (config refuses it); it stands for any Undefined item.
  EXPECT_EQ(eval("(uidNumber>=1000)", jo()), Undefined);
  EXPECT_EQ(eval("(!(uidNumber>=1000))", jo()), Undefined);
  EXPECT_EQ(eval("(&(uid=jo)(uidNumber>=1000))", jo()), Undefined);
  EXPECT_EQ(eval("(&(uid=x)(uidNumber>=1000))", jo()), False);  // FALSE wins in &
  EXPECT_EQ(eval("(|(uid=x)(uidNumber>=1000))", jo()), Undefined);
  EXPECT_EQ(eval("(|(uid=jo)(uidNumber>=1000))", jo()), True);  // TRUE wins in |
  auto f = parse_ldap_filter("(!(uidNumber>=1000))");
  ASSERT_TRUE(f.has_value());
  EXPECT_FALSE(filter_selects(*f, jo()));
}

TEST(LdifFilterMatchTest, AttributeOptionsSelectSubtypesAndRangesAreNotOptions) {
  EXPECT_EQ(eval("(cn=siân bloggs)", jo()), True);  // a plain type matches its subtypes
  EXPECT_EQ(eval("(cn;lang-cy=siân bloggs)", jo()), True);
  EXPECT_EQ(eval("(cn;LANG-CY=*)", jo()), True);
  EXPECT_EQ(eval("(cn;lang-cy=jo bloggs)", jo()), False);  // the untagged value is not cy
  EXPECT_EQ(eval("(cn;lang-fr=*)", jo()), False);

  const LdifRecord group = record(
      "dn: CN=Big,OU=Groups,DC=la,DC=example\n"
      "objectClass: group\n"
      "member;range=0-1499: CN=a,DC=la,DC=example\n");
  // On the server "member;range=..." is the member attribute read in slices.
  EXPECT_EQ(eval("(member=cn=a,dc=la,dc=example)", group), True);
  EXPECT_EQ(eval("(member=*)", group), True);
}

TEST(LdifFilterMatchTest, DnValuedAttributesCompareAsDns) {
  EXPECT_EQ(eval("(manager=UID=Boss,OU=People,DC=la,DC=example)", jo()), True);
  EXPECT_EQ(eval("(manager=uid=other,ou=people,dc=la,dc=example)", jo()), False);
}

TEST(LdifFilterMatchTest, OnlyOrderingApproxAndExtensibleItemsAreUnsupported) {
  for (std::string_view ok : {"(&(objectClass=user)(!(cn=a*b))(|(mail=*)(uid=x)))", "(&)"}) {
    auto f = parse_ldap_filter(ok);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(ldif_filter_unsupported(*f), "") << ok;
  }
  struct Case {
    std::string_view filter, message;
  };
  for (const Case& c : {
           Case{"(&(uid=a)(uidNumber>=1000))", "'(uidNumber>=...)': ordering matches"},
           Case{"(!(uidNumber<=1000))", "'(uidNumber<=...)': ordering"},
           Case{"(sn~=smith)", "'(sn~=...)': approximate"},
           Case{"(|(uid=a)(userAccountControl:1.2.840.113556.1.4.803:=2))",
                "'(userAccountControl:1.2.840.113556.1.4.803:=...)': extensible"},
       }) {
    auto f = parse_ldap_filter(c.filter);
    ASSERT_TRUE(f.has_value());
    EXPECT_THAT(ldif_filter_unsupported(*f), HasSubstr(std::string(c.message))) << c.filter;
  }
}

}  // namespace
}  // namespace trustgate
