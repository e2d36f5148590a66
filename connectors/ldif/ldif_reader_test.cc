#include "connectors/ldif/ldif_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace trustgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

LdifDocument parse_ok(std::string_view text) {
  auto document = parse_ldif(text);
  EXPECT_TRUE(document.has_value()) << document.error().message;
  return document.value_or(LdifDocument{});
}

TEST(LdifReaderTest, ReadsContentRecordsSeparatedByBlankLines) {
  const auto doc = parse_ok(
      "version: 1\n"
      "dn: uid=a,ou=people,dc=x\n"
      "objectClass: inetOrgPerson\n"
      "uid: a\n"
      "\n"
      "\n"
      "dn: uid=b,ou=people,dc=x\n"
      "uid: b\n");
  ASSERT_EQ(doc.records.size(), 2u);
  EXPECT_TRUE(doc.errors.empty());
  EXPECT_EQ(doc.records[0].dn, "uid=a,ou=people,dc=x");
  EXPECT_EQ(doc.records[0].line, 2u);
  EXPECT_THAT(doc.records[0].values("uid"), ElementsAre("a"));
  EXPECT_EQ(doc.records[1].dn, "uid=b,ou=people,dc=x");
  EXPECT_EQ(doc.records[1].line, 7u);
}

TEST(LdifReaderTest, VersionLineMayShareTheFirstBlockWithNoRecord) {
  const auto doc = parse_ok("version: 1\n\ndn: cn=g,dc=x\ncn: g\n");
  ASSERT_EQ(doc.records.size(), 1u);
  EXPECT_TRUE(doc.errors.empty());
}

TEST(LdifReaderTest, UnsupportedVersionFailsTheWholeFile) {
  auto doc = parse_ldif("version: 2\ndn: cn=g,dc=x\ncn: g\n");
  ASSERT_FALSE(doc.has_value());
  EXPECT_EQ(doc.error().code, "ldif.version");
  EXPECT_THAT(doc.error().message, HasSubstr("line 1"));
}

TEST(LdifReaderTest, DecodesBase64Values) {
  // "Zoë Ångström" in UTF-8, and a value with a leading space, as ldapsearch writes them.
  const auto doc = parse_ok(
      "dn:: Y249Wm/DqyDDhW5nc3Ryw7ZtLGRjPXg=\n"
      "cn:: Wm/DqyDDhW5nc3Ryw7Zt\n"
      "description::IGxlYWRpbmcgc3BhY2U=\n"
      "empty::\n");
  ASSERT_EQ(doc.records.size(), 1u) << (doc.errors.empty() ? "" : doc.errors[0].message);
  EXPECT_EQ(doc.records[0].dn, "cn=Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m,dc=x");
  EXPECT_THAT(doc.records[0].values("cn"), ElementsAre("Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m"));
  EXPECT_THAT(doc.records[0].values("description"), ElementsAre(" leading space"));
  EXPECT_THAT(doc.records[0].values("empty"), ElementsAre(""));
}

TEST(LdifReaderTest, DecodesBinaryBase64Values) {
  const auto doc = parse_ok("dn: cn=g,dc=x\nobjectGUID:: AAEC/w==\n");
  ASSERT_EQ(doc.records.size(), 1u);
  EXPECT_EQ(*doc.records[0].first("objectGUID"), std::string("\x00\x01\x02\xff", 4));
}

// Issue 14: one undecodable value (a broken jpegPhoto) dropped the whole record. The record
// is kept without that attribute, and the bad value is named by line and attribute.
TEST(LdifReaderTest, InvalidBase64LeavesOutTheAttributeNotTheRecord) {
  const auto doc = parse_ok(
      "dn: cn=a,dc=x\ncn: a\n\n"
      "dn: cn=b,dc=x\n"
      "cn: b\n"
      "userPassword:: c2VjcmV0!!\n");
  ASSERT_EQ(doc.records.size(), 2u);
  EXPECT_TRUE(doc.errors.empty());
  const LdifRecord& b = doc.records[1];
  EXPECT_EQ(*b.first("cn"), "b");
  EXPECT_FALSE(b.has("userPassword"));
  ASSERT_EQ(b.bad_values.size(), 1u);
  EXPECT_EQ(b.bad_values[0].line, 6u);
  EXPECT_EQ(b.bad_values[0].attribute, "userPassword");
}

TEST(LdifReaderTest, Base64WithTrailingGarbageIsABadValue) {
  const auto doc = parse_ok("dn: cn=b,dc=x\ncn:: aGVsbG8=x\n");
  ASSERT_EQ(doc.records.size(), 1u);
  ASSERT_EQ(doc.records[0].bad_values.size(), 1u);
  EXPECT_EQ(doc.records[0].bad_values[0].line, 2u);
  EXPECT_FALSE(doc.records[0].has("cn"));
}

TEST(LdifReaderTest, InvalidBase64DnIsARecordError) {
  const auto doc = parse_ok("dn:: !!!\ncn: b\n");
  EXPECT_TRUE(doc.records.empty());
  ASSERT_EQ(doc.errors.size(), 1u);
  EXPECT_THAT(doc.errors[0].message, HasSubstr("base64"));
}

TEST(LdifReaderTest, UnfoldsContinuationLines) {
  const auto doc = parse_ok(
      "dn: cn=Staff-100001,ou=schools,\n"
      " ou=groups,dc=la,dc=example\n"
      "description: Long\n"
      "  value with a space kept\n"
      "member: uid=a\n"
      " isha.khan,ou=people,dc=la,dc=example\n"
      "cn:: U3RhZm\n"
      " YtMTAwMDAx\n");
  ASSERT_EQ(doc.records.size(), 1u);
  const auto& r = doc.records[0];
  EXPECT_EQ(r.dn, "cn=Staff-100001,ou=schools,ou=groups,dc=la,dc=example");
  EXPECT_THAT(r.values("description"), ElementsAre("Long value with a space kept"));
  EXPECT_THAT(r.values("member"), ElementsAre("uid=aisha.khan,ou=people,dc=la,dc=example"));
  EXPECT_THAT(r.values("cn"), ElementsAre("Staff-100001"));
}

TEST(LdifReaderTest, SkipsCommentsIncludingFoldedOnes) {
  const auto doc = parse_ok(
      "# a file comment\n"
      "version: 1\n"
      "\n"
      "# a comment before the record\n"
      "dn: cn=g,dc=x\n"
      "# a comment in the middle,\n"
      " folded: cn: not-an-attribute\n"
      "cn: g\n"
      "\n"
      "# a trailing comment block\n"
      "#   over two lines\n");
  ASSERT_EQ(doc.records.size(), 1u);
  EXPECT_TRUE(doc.errors.empty());
  EXPECT_THAT(doc.records[0].values("cn"), ElementsAre("g"));
  EXPECT_EQ(doc.records[0].attributes.size(), 1u);
}

TEST(LdifReaderTest, ToleratesCrlfLineEndsAndAByteOrderMark) {
  const auto doc = parse_ok(
      "\xEF\xBB\xBFversion: 1\r\n"
      "\r\n"
      "dn: cn=g,dc=x\r\n"
      "cn: g\r\n"
      "description: folded\r\n"
      "  across CRLF\r\n"
      "\r\n"
      "dn: cn=h,dc=x\r\n"
      "cn: h\r\n");
  ASSERT_EQ(doc.records.size(), 2u);
  EXPECT_TRUE(doc.errors.empty());
  EXPECT_EQ(doc.records[0].dn, "cn=g,dc=x");
  EXPECT_THAT(doc.records[0].values("cn"), ElementsAre("g"));
  EXPECT_THAT(doc.records[0].values("description"), ElementsAre("folded across CRLF"));
  EXPECT_EQ(doc.records[1].line, 8u);
}

TEST(LdifReaderTest, KeepsAttributeOptionsAndComparesNamesCaseInsensitively) {
  const auto doc = parse_ok(
      "dn: CN=Big,OU=Groups,DC=la,DC=example\n"
      "objectClass: group\n"
      "member;range=0-1: CN=a,DC=x\n"
      "member;range=0-1: CN=b,DC=x\n"
      "Member: CN=c,DC=x\n"
      "CN: Big\n");
  ASSERT_EQ(doc.records.size(), 1u);
  const auto& r = doc.records[0];
  EXPECT_EQ(r.attributes[1].name, "member;range=0-1");
  EXPECT_THAT(r.values("MEMBER"), ElementsAre("CN=c,DC=x"));
  EXPECT_THAT(r.values("member;RANGE=0-1"), ElementsAre("CN=a,DC=x", "CN=b,DC=x"));
  EXPECT_THAT(r.values_of_type("member"), ElementsAre("CN=a,DC=x", "CN=b,DC=x", "CN=c,DC=x"));
  EXPECT_TRUE(r.has("cn"));
  EXPECT_FALSE(r.has("mail"));
}

TEST(LdifReaderTest, RejectsUrlValuesWithAClearError) {
  const auto doc = parse_ok(
      "dn: uid=a,dc=x\n"
      "uid: a\n"
      "jpegPhoto:< file:///etc/passwd\n"
      "\n"
      "dn: uid=b,dc=x\n"
      "uid: b\n");
  ASSERT_EQ(doc.records.size(), 1u);
  EXPECT_EQ(doc.records[0].dn, "uid=b,dc=x");
  ASSERT_EQ(doc.errors.size(), 1u);
  EXPECT_EQ(doc.errors[0].line, 3u);
  EXPECT_THAT(doc.errors[0].message, HasSubstr("URL values"));
  EXPECT_THAT(doc.errors[0].message, HasSubstr("jpegPhoto"));
}

TEST(LdifReaderTest, OneBadRecordIsSkippedAndTheRestIsRead) {
  const auto doc = parse_ok(
      "dn: uid=a,dc=x\n"          // 1
      "uid: a\n"                  // 2
      "\n"                        // 3
      "dn: uid=b,dc=x\n"          // 4
      "uid: b\n"                  // 5
      "this line has no colon\n"  // 6
      "mail: b@x\n"               // 7
      "\n"                        // 8
      "dn: uid=c,dc=x\n"          // 9
      "uid: c\n");                // 10
  ASSERT_EQ(doc.records.size(), 2u);
  EXPECT_EQ(doc.records[0].dn, "uid=a,dc=x");
  EXPECT_EQ(doc.records[1].dn, "uid=c,dc=x");
  ASSERT_EQ(doc.errors.size(), 1u);
  EXPECT_EQ(doc.errors[0].line, 6u);
  EXPECT_THAT(doc.errors[0].message, HasSubstr("line 6"));
}

TEST(LdifReaderTest, RecordNotStartingWithDnIsAnError) {
  const auto doc = parse_ok("dn: uid=a,dc=x\nuid: a\n\ncn: orphan\nuid: z\n");
  ASSERT_EQ(doc.records.size(), 1u);
  ASSERT_EQ(doc.errors.size(), 1u);
  EXPECT_EQ(doc.errors[0].line, 4u);
  EXPECT_THAT(doc.errors[0].message, HasSubstr("dn:"));
}

TEST(LdifReaderTest, TwoRecordsWithoutABlankLineAreAnError) {
  const auto doc = parse_ok("dn: uid=a,dc=x\nuid: a\ndn: uid=b,dc=x\nuid: b\n");
  EXPECT_TRUE(doc.records.empty());
  ASSERT_EQ(doc.errors.size(), 1u);
  EXPECT_EQ(doc.errors[0].line, 3u);
}

TEST(LdifReaderTest, ChangeRecordsAreRejected) {
  const auto doc = parse_ok("dn: uid=a,dc=x\nchangetype: delete\n");
  EXPECT_TRUE(doc.records.empty());
  ASSERT_EQ(doc.errors.size(), 1u);
  EXPECT_EQ(doc.errors[0].line, 2u);
  EXPECT_THAT(doc.errors[0].message, HasSubstr("change records"));
}

TEST(LdifReaderTest, ContinuationWithNothingToContinueIsAnError) {
  const auto doc =
      parse_ok("dn: uid=a,dc=x\nuid: a\n\n stray continuation\nuid: q\n\ndn: uid=b,dc=x\nuid: b\n");
  ASSERT_EQ(doc.records.size(), 2u);
  ASSERT_EQ(doc.errors.size(), 1u);
  EXPECT_EQ(doc.errors[0].line, 4u);
}

TEST(LdifReaderTest, InvalidAttributeNameIsAnErrorThatDoesNotEchoTheLine) {
  const auto doc = parse_ok("dn: uid=a,dc=x\npass word: hunter2\n");
  EXPECT_TRUE(doc.records.empty());
  ASSERT_EQ(doc.errors.size(), 1u);
  EXPECT_EQ(doc.errors[0].line, 2u);
  EXPECT_THAT(doc.errors[0].message, Not(HasSubstr("hunter2")));
}

TEST(LdifReaderTest, RecordWithOnlyADnIsAnError) {
  const auto doc = parse_ok("dn: uid=a,dc=x\n\ndn: uid=b,dc=x\nuid: b\n");
  ASSERT_EQ(doc.records.size(), 1u);
  ASSERT_EQ(doc.errors.size(), 1u);
  EXPECT_EQ(doc.errors[0].line, 1u);
}

TEST(LdifReaderTest, EmptyInputHasNoRecords) {
  const auto doc = parse_ok("");
  EXPECT_TRUE(doc.records.empty());
  EXPECT_TRUE(doc.errors.empty());
}

TEST(LdifReaderTest, ReadsAFile) {
  const auto path = std::filesystem::path(::testing::TempDir()) / "ldif_reader_test_file.ldif";
  {
    std::ofstream out(path, std::ios::binary);
    out << "dn: uid=a,dc=x\nuid: a\n";
  }
  auto doc = read_ldif_file(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  ASSERT_EQ(doc->records.size(), 1u);
}

TEST(LdifReaderTest, UnreadableFileIsAnError) {
  const auto missing = std::filesystem::path(::testing::TempDir()) / "no-such-file.ldif";
  auto doc = read_ldif_file(missing);
  ASSERT_FALSE(doc.has_value());
  EXPECT_EQ(doc.error().code, "ldif.io");
  EXPECT_THAT(doc.error().message, HasSubstr("no-such-file.ldif"));

  auto dir = read_ldif_file(::testing::TempDir());
  ASSERT_FALSE(dir.has_value());
  EXPECT_EQ(dir.error().code, "ldif.io");
}

}  // namespace
}  // namespace trustgate
