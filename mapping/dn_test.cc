#include "mapping/dn.h"

#include <gtest/gtest.h>

namespace trustgate {
namespace {

TEST(NormalizeDn, LowercasesAndRemovesSpacesAroundSeparators) {
  EXPECT_EQ(normalize_dn("CN=Staff, OU=Groups"), "cn=staff,ou=groups");
  EXPECT_EQ(normalize_dn("  cn = Staff ,ou= Groups  "), "cn=staff,ou=groups");
  EXPECT_EQ(normalize_dn("CN=Staff, OU=Groups"), normalize_dn("cn=staff,ou=groups"));
  EXPECT_EQ(normalize_dn("cn=a + sn=B,dc=x"), "cn=a+sn=b,dc=x");
}

TEST(NormalizeDn, KeepsSpacesInsideValues) {
  EXPECT_EQ(normalize_dn("CN=Primary  Staff,OU=Groups"), "cn=primary  staff,ou=groups");
}

TEST(NormalizeDn, EscapedSeparatorsAreNotSeparators) {
  EXPECT_EQ(normalize_dn("CN=Smith\\, John , OU=People"), "cn=smith\\, john,ou=people");
  // An escaped trailing space is part of the value.
  EXPECT_EQ(normalize_dn("cn=x\\ ,dc=y"), "cn=x\\ ,dc=y");
  EXPECT_NE(normalize_dn("cn=a\\,b"), normalize_dn("cn=a,b"));
}

TEST(NormalizeDn, EmptyStaysEmpty) { EXPECT_EQ(normalize_dn(""), ""); }

TEST(FirstRdnValue, ReturnsTheFirstValueAsWritten) {
  EXPECT_EQ(first_rdn_value("cn=Primaries,ou=g,dc=x"), "Primaries");
  EXPECT_EQ(first_rdn_value("CN = Primary Staff , OU=g"), "Primary Staff");
  EXPECT_EQ(first_rdn_value("cn=Only"), "Only");
  EXPECT_EQ(first_rdn_value("cn=a+sn=b,dc=x"), "a");
}

TEST(FirstRdnValue, UnescapesValue) {
  EXPECT_EQ(first_rdn_value("cn=Smith\\, John,ou=People"), "Smith, John");
  EXPECT_EQ(first_rdn_value("cn=Smith\\2C John,ou=People"), "Smith, John");
}

TEST(FirstRdnValue, EmptyWhenMalformed) {
  EXPECT_EQ(first_rdn_value(""), "");
  EXPECT_EQ(first_rdn_value("no equals sign"), "");
  EXPECT_EQ(first_rdn_value(",cn=x"), "");
}

}  // namespace
}  // namespace trustgate
