#include "connectors/ldif/ldif_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace trustgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

DirectorySnapshot build(std::string_view ldif, LdifSourceOptions options = {},
                        const ProgressFn& progress = {}) {
  auto document = parse_ldif(ldif);
  EXPECT_TRUE(document.has_value());
  if (options.name.empty()) options.name = "test";
  auto snapshot = snapshot_from_ldif(document.value_or(LdifDocument{}), options, progress);
  EXPECT_TRUE(snapshot.has_value()) << snapshot.error().message;
  return snapshot.value_or(DirectorySnapshot{});
}

// The users of an AD export: what an ad source's search returns, computers left out.
constexpr std::string_view kAdUsers = "(&(objectClass=user)(!(objectClass=computer)))";

const DirectoryUser* find_user(const DirectorySnapshot& s, std::string_view username) {
  auto it = std::ranges::find(s.users, username, &DirectoryUser::username);
  return it == s.users.end() ? nullptr : &*it;
}

const DirectoryGroup* find_group(const DirectorySnapshot& s, std::string_view name) {
  auto it = std::ranges::find(s.groups, name, &DirectoryGroup::name);
  return it == s.groups.end() ? nullptr : &*it;
}

constexpr std::string_view kDirectory = R"(version: 1

dn: ou=people,dc=la,dc=example
objectClass: organizationalUnit
ou: people

dn: uid=aisha.khan,ou=people,dc=la,dc=example
objectClass: inetOrgPerson
uid: aisha.khan
cn: Aisha Khan
displayName: Ms A Khan
mail: aisha.khan@la.example
entryUUID: 6f0c1b2a-0000-4000-8000-000000000001

dn: uid=no.uuid,ou=people,dc=la,dc=example
objectClass: person
objectClass: inetOrgPerson
uid: no.uuid
cn: No Uuid

dn: cn=Staff-100001,ou=schools,ou=groups,dc=la,dc=example
objectClass: groupOfNames
cn: Staff-100001
description: Ashgrove Primary School
entryUUID: 6f0c1b2a-0000-4000-8000-0000000000aa
member: uid=aisha.khan,ou=people,dc=la,dc=example
member: cn=Primary-Heads,ou=roles,ou=groups,dc=la,dc=example

dn: cn=Unique,ou=groups,dc=la,dc=example
objectClass: groupOfUniqueNames
cn: Unique
uniqueMember: uid=aisha.khan,ou=people,dc=la,dc=example#'0101'B
uniqueMember: uid=no.uuid,ou=people,dc=la,dc=example

dn: cn=teachers,ou=posix,dc=la,dc=example
objectClass: posixGroup
cn: teachers
gidNumber: 5000
memberUid: aisha.khan
memberUid: no.uuid
)";

TEST(LdifSourceTest, ExtractsUsersWithTheirAttributes) {
  const auto s = build(kDirectory);
  EXPECT_EQ(s.source, "test");
  EXPECT_EQ(s.malformed_entries, 0u);
  ASSERT_EQ(s.users.size(), 2u);
  const auto* aisha = find_user(s, "aisha.khan");
  ASSERT_NE(aisha, nullptr);
  EXPECT_EQ(aisha->id, "6f0c1b2a-0000-4000-8000-000000000001");
  EXPECT_EQ(aisha->dn, "uid=aisha.khan,ou=people,dc=la,dc=example");
  EXPECT_EQ(aisha->display_name, "Ms A Khan");  // displayName wins over cn
  EXPECT_EQ(aisha->email, "aisha.khan@la.example");
  EXPECT_TRUE(aisha->enabled);
}

TEST(LdifSourceTest, FallsBackToCnAndToTheNormalizedDn) {
  const auto s = build(kDirectory);
  const auto* user = find_user(s, "no.uuid");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->display_name, "No Uuid");
  EXPECT_EQ(user->id, "uid=no.uuid,ou=people,dc=la,dc=example");
  EXPECT_EQ(user->email, "");
}

TEST(LdifSourceTest, ExtractsGroupsMembersAndPosixMemberUids) {
  const auto s = build(kDirectory);
  ASSERT_EQ(s.groups.size(), 3u);
  const auto* staff = find_group(s, "Staff-100001");
  ASSERT_NE(staff, nullptr);
  EXPECT_EQ(staff->id, "6f0c1b2a-0000-4000-8000-0000000000aa");
  EXPECT_EQ(staff->description, "Ashgrove Primary School");
  EXPECT_THAT(staff->member_dns,
              ElementsAre("uid=aisha.khan,ou=people,dc=la,dc=example",
                          "cn=Primary-Heads,ou=roles,ou=groups,dc=la,dc=example"));
  EXPECT_THAT(staff->member_uids, IsEmpty());

  const auto* unique = find_group(s, "Unique");
  ASSERT_NE(unique, nullptr);
  EXPECT_THAT(unique->member_dns, ElementsAre("uid=aisha.khan,ou=people,dc=la,dc=example",
                                              "uid=no.uuid,ou=people,dc=la,dc=example"));

  const auto* posix = find_group(s, "teachers");
  ASSERT_NE(posix, nullptr);
  EXPECT_THAT(posix->member_uids, ElementsAre("aisha.khan", "no.uuid"));
  EXPECT_THAT(posix->member_dns, IsEmpty());
}

TEST(LdifSourceTest, ObjectClassAndAttributeNamesAreCaseInsensitive) {
  const auto s = build(
      "dn: CN=Jo,DC=x\nOBJECTCLASS: InetOrgPerson\nUID: jo\nMAIL: jo@x\n\n"
      "dn: CN=G,DC=x\nobjectclass: GROUPOFNAMES\nMEMBER: CN=Jo,DC=x\n");
  ASSERT_EQ(s.users.size(), 1u);
  EXPECT_EQ(s.users[0].username, "jo");
  EXPECT_EQ(s.users[0].email, "jo@x");
  ASSERT_EQ(s.groups.size(), 1u);
  EXPECT_EQ(s.groups[0].name, "G");  // from the DN, as there is no cn attribute
  EXPECT_THAT(s.groups[0].member_dns, ElementsAre("CN=Jo,DC=x"));
}

TEST(LdifSourceTest, ActiveDirectoryExportUsesSamAccountNameObjectGuidAndRangedMembers) {
  LdifSourceOptions options;
  options.users.filter = kAdUsers;
  options.id_attr = "objectGUID";
  options.group_id_attr = "objectGUID";
  // objectGUID bytes 00 01 .. 0f -> canonical "03020100-0504-0706-0809-0a0b0c0d0e0f".
  const auto s = build(
      "dn: CN=Aisha Khan,OU=Staff,DC=la,DC=example\n"
      "objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\n"
      "objectClass: user\n"
      "sAMAccountName: akhan\n"
      "objectGUID:: AAECAwQFBgcICQoLDA0ODw==\n"
      "userAccountControl: 512\n\n"
      "dn: CN=PC01,OU=Computers,DC=la,DC=example\n"
      "objectClass: user\nobjectClass: computer\nsAMAccountName: PC01$\n\n"
      "dn: CN=Big,OU=Groups,DC=la,DC=example\n"
      "objectClass: group\n"
      "objectGUID:: EBESExQVFhcYGRobHB0eHw==\n"
      "member;range=0-1: CN=a,DC=x\n"
      "member;range=0-1: CN=b,DC=x\n",
      options);
  EXPECT_EQ(s.malformed_entries, 0u);
  ASSERT_EQ(s.users.size(), 1u);  // the computer is not a user
  EXPECT_EQ(s.users[0].username, "akhan");
  EXPECT_EQ(s.users[0].id, "03020100-0504-0706-0809-0a0b0c0d0e0f");
  EXPECT_TRUE(s.users[0].enabled);
  ASSERT_EQ(s.groups.size(), 1u);
  EXPECT_EQ(s.groups[0].id, "13121110-1514-1716-1819-1a1b1c1d1e1f");
  EXPECT_THAT(s.groups[0].member_dns, ElementsAre("CN=a,DC=x", "CN=b,DC=x"));
}

TEST(LdifSourceTest, UserAccountControlBit2MeansDisabled) {
  const auto s = build(
      "dn: cn=a,dc=x\nobjectClass: user\nsAMAccountName: a\nuserAccountControl: 514\n\n"
      "dn: cn=b,dc=x\nobjectClass: user\nsAMAccountName: b\nuserAccountControl: 66048\n",
      {.users = {.filter = std::string(kAdUsers)}});
  ASSERT_EQ(s.users.size(), 2u);
  EXPECT_FALSE(find_user(s, "a")->enabled);
  EXPECT_TRUE(find_user(s, "b")->enabled);
}

TEST(LdifSourceTest, UnreadableUserAccountControlIsMalformedNotEnabled) {
  const auto s =
      build("dn: cn=a,dc=x\nobjectClass: user\nsAMAccountName: a\nuserAccountControl: x2\n",
            {.users = {.filter = std::string(kAdUsers)}});
  EXPECT_THAT(s.users, IsEmpty());
  EXPECT_EQ(s.malformed_entries, 1u);
}

TEST(LdifSourceTest, DisabledByPresenceOfAnAttribute) {
  LdifSourceOptions options;
  options.disabled_attr = "pwdAccountLockedTime";
  const auto s = build(
      "dn: uid=a,dc=x\nobjectClass: inetOrgPerson\nuid: a\npwdAccountLockedTime: 000001010000Z\n\n"
      "dn: uid=b,dc=x\nobjectClass: inetOrgPerson\nuid: b\n",
      options);
  EXPECT_FALSE(find_user(s, "a")->enabled);
  EXPECT_TRUE(find_user(s, "b")->enabled);
}

TEST(LdifSourceTest, DisabledByAnAttributeValueInAList) {
  LdifSourceOptions options;
  options.disabled_attr = "employeeType";
  options.disabled_values = {"disabled", "leaver"};
  const auto s = build(
      "dn: uid=a,dc=x\nobjectClass: inetOrgPerson\nuid: a\nemployeeType: Disabled\n\n"
      "dn: uid=b,dc=x\nobjectClass: inetOrgPerson\nuid: b\nemployeeType: staff\n\n"
      "dn: uid=c,dc=x\nobjectClass: inetOrgPerson\nuid: c\nemployeeType: staff\n"
      "employeeType: leaver\n",
      options);
  EXPECT_FALSE(find_user(s, "a")->enabled);
  EXPECT_TRUE(find_user(s, "b")->enabled);
  EXPECT_FALSE(find_user(s, "c")->enabled);
}

TEST(LdifSourceTest, UserWithoutUsernameIsCountedMalformedAndTheRestKept) {
  const auto s = build(
      "dn: cn=nameless,dc=x\nobjectClass: inetOrgPerson\ncn: Nameless\n\n"
      "dn: uid=b,dc=x\nobjectClass: inetOrgPerson\nuid: b\n");
  EXPECT_EQ(s.malformed_entries, 1u);
  ASSERT_EQ(s.users.size(), 1u);
  EXPECT_EQ(s.users[0].username, "b");
}

// Issue 14: a broken value in an attribute no rule reads (a corrupt jpegPhoto) dropped the
// whole user. The user is kept, the value counted as ignored.
TEST(LdifSourceTest, CorruptValueInAnAttributeNobodyReadsKeepsTheUser) {
  const auto s = build(
      "dn: uid=a,dc=x\nobjectClass: inetOrgPerson\nuid: a\ncn: A\n"
      "jpegPhoto:: /9j/4AAQ!!!broken\n");
  ASSERT_EQ(s.users.size(), 1u);
  EXPECT_EQ(s.users[0].username, "a");
  EXPECT_EQ(s.malformed_entries, 0u);
  EXPECT_EQ(s.ignored_values, 1u);
}

// A broken value where the source reads (here a member value) makes the entry malformed:
// reading the group without that member could revoke it silently.
TEST(LdifSourceTest, CorruptValueInAnAttributeTheSourceReadsSkipsTheEntry) {
  const auto s = build(
      "dn: cn=g,dc=x\nobjectClass: groupOfNames\ncn: g\nmember:: !!!\n\n"
      "dn: uid=b,dc=x\nobjectClass: inetOrgPerson\nuid:: !!!\ncn: B\n\n"
      "dn: uid=c,dc=x\nobjectClass: inetOrgPerson\nuid: c\nleaver:: !!!\n",
      [] {
        LdifSourceOptions o;
        o.users.filter = "(&(objectClass=inetOrgPerson)(!(leaver=TRUE)))";
        return o;
      }());
  EXPECT_TRUE(s.groups.empty());
  EXPECT_TRUE(s.users.empty());
  EXPECT_EQ(s.malformed_entries, 3u);
  EXPECT_EQ(s.ignored_values, 0u);
}

TEST(LdifSourceTest, UnparsableRecordsAndDuplicateIdsCountAsMalformed) {
  const auto s = build(
      "dn: uid=a,dc=x\nobjectClass: inetOrgPerson\nuid: a\nentryUUID: same\n\n"
      "dn: uid=b,dc=x\nobjectClass: inetOrgPerson\nuid: b\nentryUUID: same\n\n"
      "dn: uid=c,dc=x\nobjectClass: inetOrgPerson\nuid c\n\n"
      "dn: uid=d,dc=x\nobjectClass: inetOrgPerson\nuid: d\n");
  EXPECT_EQ(s.malformed_entries, 2u);
  ASSERT_EQ(s.users.size(), 2u);
  EXPECT_EQ(s.users[0].username, "a");
  EXPECT_EQ(s.users[1].username, "d");
}

TEST(LdifSourceTest, ConfiguredFiltersDecideWhatIsAUserOrGroup) {
  LdifSourceOptions options;
  options.users.filter = "(objectClass=staffPerson)";
  options.groups.filter = "(objectClass=staffTeam)";
  const auto s = build(
      "dn: uid=a,dc=x\nobjectClass: inetOrgPerson\nuid: a\n\n"
      "dn: uid=b,dc=x\nobjectClass: staffPerson\nuid: b\n\n"
      "dn: cn=g,dc=x\nobjectClass: groupOfNames\ncn: g\n\n"
      "dn: cn=t,dc=x\nobjectClass: staffTeam\ncn: t\n",
      options);
  ASSERT_EQ(s.users.size(), 1u);
  EXPECT_EQ(s.users[0].username, "b");
  ASSERT_EQ(s.groups.size(), 1u);
  EXPECT_EQ(s.groups[0].name, "t");
}

constexpr std::string_view kLeavers = R"(dn: uid=stays,ou=people,dc=la,dc=example
objectClass: inetOrgPerson
uid: stays
employeeType: staff

dn: uid=left,ou=people,dc=la,dc=example
objectClass: inetOrgPerson
uid: left
employeeType: staff
employeeType: Leaver

dn: uid=untyped,ou=people,dc=la,dc=example
objectClass: inetOrgPerson
uid: untyped
)";

// Issue 14 item 1: [source.users] filter was ignored by ldif sources, so a leaver the filter
// excludes was loaded as an enabled user.
TEST(LdifSourceTest, LeaverExcludedByUsersFilterIsNotLoaded) {
  LdifSourceOptions options;
  options.users.filter = "(&(objectClass=inetOrgPerson)(!(employeeType=leaver)))";
  const auto s = build(kLeavers, options);
  EXPECT_EQ(find_user(s, "left"), nullptr);
  ASSERT_NE(find_user(s, "stays"), nullptr);
  EXPECT_NE(find_user(s, "untyped"), nullptr);  // no employeeType: (!(employeeType=leaver))
  EXPECT_EQ(s.users.size(), 2u);
  EXPECT_EQ(s.malformed_entries, 0u);
}

constexpr std::string_view kTwoOus = R"(dn: uid=staff1,ou=Staff,dc=la,dc=example
objectClass: inetOrgPerson
uid: staff1

dn: uid=pupil1,ou=Pupils,dc=la,dc=example
objectClass: inetOrgPerson
uid: pupil1

dn: cn=Staff-1,ou=Groups,dc=la,dc=example
objectClass: groupOfNames
cn: Staff-1

dn: cn=Pupils-1,ou=Pupils,dc=la,dc=example
objectClass: groupOfNames
cn: Pupils-1
)";

// Issue 14 item 1: [source.users] / [source.groups] base was ignored by ldif sources.
TEST(LdifSourceTest, EntriesOutsideUsersBaseAreNotLoaded) {
  LdifSourceOptions options;
  options.users.base = "OU=Staff, DC=LA,DC=Example";  // compared as DNs, ignoring case
  const auto s = build(kTwoOus, options);
  ASSERT_EQ(s.users.size(), 1u);
  EXPECT_EQ(s.users[0].username, "staff1");
  EXPECT_EQ(s.groups.size(), 2u);  // the groups' base is still the whole file
}

TEST(LdifSourceTest, EntriesOutsideGroupsBaseAreNotLoaded) {
  LdifSourceOptions options;
  options.groups.base = "ou=groups,dc=la,dc=example";
  const auto s = build(kTwoOus, options);
  ASSERT_EQ(s.groups.size(), 1u);
  EXPECT_EQ(s.groups[0].name, "Staff-1");
  EXPECT_EQ(s.users.size(), 2u);
}

TEST(LdifSourceTest, BaseSelectsItselfAndItsSubtreeOnly) {
  constexpr std::string_view ldif = R"(dn: uid=base,ou=staff,dc=x
objectClass: inetOrgPerson
uid: base

dn: uid=below,ou=deeper,uid=base,ou=staff,dc=x
objectClass: inetOrgPerson
uid: below

dn: uid=lookalike,ou=otherstaff,dc=x
objectClass: inetOrgPerson
uid: lookalike

dn: uid=escaped\,uid=base,ou=staff,dc=x
objectClass: inetOrgPerson
uid: escaped

dn: dc=x
objectClass: inetOrgPerson
uid: above
)";
  LdifSourceOptions options;
  options.users.base = "uid=base,ou=staff,dc=x";
  const auto s = build(ldif, options);
  std::vector<std::string> names;
  for (const auto& user : s.users) names.push_back(user.username);
  EXPECT_THAT(names, ElementsAre("base", "below"));
}

TEST(LdifSourceTest, ObjectClassGroupEntriesAreGroupsByDefault) {
  const auto s = build("dn: cn=g,dc=x\nobjectClass: group\ncn: g\nmember: uid=a,dc=x\n");
  ASSERT_EQ(s.groups.size(), 1u);
  EXPECT_EQ(s.groups[0].name, "g");
}

// [source.groups] id_attr and name_attr were ignored by ldif sources (users.id_attr and cn
// were used), so a preview named and keyed groups differently from the ldap source.
TEST(LdifSourceTest, GroupIdAndNameComeFromTheGroupAttributes) {
  LdifSourceOptions options;
  options.id_attr = "entryUUID";
  options.group_id_attr = "ipaUniqueID";
  options.group_name_attr = "displayName";
  const auto s = build(
      "dn: cn=g1,dc=x\nobjectClass: groupOfNames\ncn: g1\ndisplayName: Staff One\n"
      "entryUUID: uuid-1\nipaUniqueID: ipa-1\n\n"
      "dn: cn=g2,dc=x\nobjectClass: groupOfNames\ncn: g2\n",
      options);
  ASSERT_EQ(s.groups.size(), 2u);
  EXPECT_EQ(s.groups[0].id, "ipa-1");
  EXPECT_EQ(s.groups[0].name, "Staff One");
  EXPECT_EQ(s.groups[1].id, "cn=g2,dc=x");  // the normalized DN stands in
  EXPECT_EQ(s.groups[1].name, "g2");        // the first RDN's value stands in
}

TEST(LdifSourceTest, UnusableFilterFailsTheWholeSnapshotNamingTheSelection) {
  auto document = parse_ldif("dn: uid=a,dc=x\nobjectClass: inetOrgPerson\nuid: a\n");
  ASSERT_TRUE(document.has_value());
  LdifSourceOptions options{.name = "file"};
  options.users.filter = "(&(uid=a)";
  auto s = snapshot_from_ldif(*document, options);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, "ldif.filter");
  EXPECT_THAT(s.error().message, HasSubstr("ldif source 'file': users.filter: at character"));

  options.users.filter = kDefaultUserFilter;
  options.groups.filter = "(gidNumber>=1000)";
  s = snapshot_from_ldif(*document, options);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, "ldif.filter");
  EXPECT_THAT(s.error().message, HasSubstr("groups.filter: '(gidNumber>=...)': ordering"));
}

TEST(LdifSourceTest, ReportsProgressEveryThousandEntriesAndAtTheEnd) {
  std::string ldif;
  for (int i = 0; i < 2500; ++i) {
    ldif += "dn: uid=u" + std::to_string(i) + ",dc=x\nobjectClass: inetOrgPerson\nuid: u" +
            std::to_string(i) + "\n\n";
  }
  std::vector<std::size_t> calls;
  const auto s = build(ldif, {}, [&](std::size_t n) { calls.push_back(n); });
  EXPECT_EQ(s.users.size(), 2500u);
  EXPECT_THAT(calls, ElementsAre(1000u, 2000u, 2500u));
}

class LdifSourceFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ =
        std::filesystem::path(::testing::TempDir()) /
        (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".ldif");
  }
  void TearDown() override { std::filesystem::remove(path_); }
  void write(std::string_view text) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << text;
  }
  std::filesystem::path path_;
};

TEST_F(LdifSourceFileTest, RereadsTheFileOnEverySnapshot) {
  LdifSource source({.name = "demo", .path = path_});
  EXPECT_EQ(source.name(), "demo");
  EXPECT_FALSE(source.supports_changes());

  write("dn: uid=a,dc=x\nobjectClass: inetOrgPerson\nuid: a\n");
  auto first = source.snapshot();
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->source, "demo");
  EXPECT_EQ(first->users.size(), 1u);

  write(
      "dn: uid=a,dc=x\nobjectClass: inetOrgPerson\nuid: a\n\n"
      "dn: uid=b,dc=x\nobjectClass: inetOrgPerson\nuid: b\n");
  auto second = source.snapshot();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->users.size(), 2u);
}

TEST_F(LdifSourceFileTest, MissingFileFailsTheWholeSnapshot) {
  LdifSource source({.name = "demo", .path = path_});
  auto snapshot = source.snapshot();
  ASSERT_FALSE(snapshot.has_value());
  EXPECT_EQ(snapshot.error().code, "ldif.io");
}

TEST(LdifSourceDemoTest, TheDemoDirectoryReadsCleanly) {
  // This file is connectors/ldif/ldif_source_test.cc in the repository.
  const auto root = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  const auto path = root / "conf/demo/directory.ldif";
  LdifSourceOptions options{.name = "demo", .path = path};
  options.disabled_attr = "employeeType";
  options.disabled_values = {"disabled"};
  LdifSource source(options);
  auto s = source.snapshot();
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->malformed_entries, 0u);
  EXPECT_GE(s->users.size(), 200u);
  const auto* tom = find_user(*s, "tom.baker");
  ASSERT_NE(tom, nullptr);
  EXPECT_FALSE(tom->enabled);
  const auto* aisha = find_user(*s, "aisha.khan");
  ASSERT_NE(aisha, nullptr);
  EXPECT_TRUE(aisha->enabled);
  EXPECT_EQ(std::ranges::count_if(s->users, [](const auto& u) { return !u.enabled; }), 1);
  const auto* staff = find_group(*s, "Staff-100001");
  ASSERT_NE(staff, nullptr);
  EXPECT_FALSE(staff->member_dns.empty());
  EXPECT_FALSE(staff->description.empty());
}

}  // namespace
}  // namespace trustgate
