#include "mapping/mapper.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "mapping/decision.h"
#include "mapping/test_fixtures.h"

namespace trustgate {
namespace {

using testing::by_dn;
using testing::by_id;
using testing::by_pattern;
using testing::group_dn;
using ::testing::HasSubstr;
using testing::la_config;
using testing::make_group;
using testing::make_rule;
using testing::make_user;
using testing::snapshot;
using testing::user_dn;

bool has_warning(const MappingResult& r, const std::string& rule, const std::string& text) {
  return std::any_of(r.warnings.begin(), r.warnings.end(), [&](const MappingWarning& w) {
    return w.rule == rule && w.message.find(text) != std::string::npos;
  });
}

std::vector<std::string> role_ids(const User& u) {
  std::vector<std::string> out;
  for (const auto& g : u.roles) out.push_back(g.role);
  return out;
}

TEST(Mapper, DnRuleGrantsRoleWithProvenance) {
  auto config = la_config();
  auto rule = make_rule("teachers", by_dn("CN=Teachers, OU=Groups, DC=LA, DC=Example"));
  rule.roles = {"teacher"};
  config.rules = {rule};
  auto r = map_directory({snapshot("ad", {make_user("alice"), make_user("bob")},
                                   {make_group("Teachers", {user_dn("alice")})})},
                         config);
  const User& alice = r.model.users.at("id-alice");
  ASSERT_EQ(alice.roles.size(), 1u);
  EXPECT_EQ(alice.roles[0].role, "teacher");
  EXPECT_EQ(alice.roles[0].via->kind, Provenance::Kind::Rule);
  EXPECT_EQ(alice.roles[0].via->rule, "teachers");
  EXPECT_EQ(alice.roles[0].via->group, group_dn("Teachers"));
  EXPECT_EQ(alice.roles[0].via->chain, std::vector<std::string>{group_dn("Teachers")});
  EXPECT_EQ(alice.roles[0].via->source, "ad");
  EXPECT_TRUE(r.model.users.at("id-bob").roles.empty());
  EXPECT_TRUE(r.warnings.empty());
}

TEST(Mapper, StableIdRuleSurvivesRename) {
  auto config = la_config();
  auto rule = make_rule("staff-100003", by_id("GID-SECONDARY"));  // ids compare case-insensitively
  rule.institutions = {"100003"};
  config.rules = {rule};

  auto before = make_group("Cedar Staff", {user_dn("alice")});
  before.id = "gid-secondary";
  auto after = before;
  after.dn = "cn=Cedar Secondary Staff,ou=renamed,dc=la,dc=example";
  after.name = "Cedar Secondary Staff";

  for (const auto& g : {before, after}) {
    auto r = map_directory({snapshot("ad", {make_user("alice")}, {g})}, config);
    const User& alice = r.model.users.at("id-alice");
    ASSERT_EQ(alice.associations.size(), 1u) << g.dn;
    EXPECT_EQ(alice.associations[0].target, "100003");
    EXPECT_EQ(alice.associations[0].via->group, g.dn);
  }
}

TEST(Mapper, PatternRuleCapturesInstitution) {
  auto config = la_config();
  auto rule = make_rule("school-staff", by_pattern(R"(CN=Staff-(\d+),OU=Groups,DC=LA,DC=Example)"));
  rule.institutions = {"$1"};
  rule.roles = {"teacher"};
  config.rules = {rule};
  auto r = map_directory({snapshot("ad", {make_user("alice"), make_user("bob")},
                                   {make_group("Staff-100001", {user_dn("alice")}),
                                    make_group("Staff-100003", {user_dn("bob")}),
                                    make_group("Staff-extra", {user_dn("bob")})})},
                         config);
  const User& alice = r.model.users.at("id-alice");
  ASSERT_EQ(alice.associations.size(), 1u);
  EXPECT_EQ(alice.associations[0].kind, AssociationKind::Institution);
  EXPECT_EQ(alice.associations[0].target, "100001");
  EXPECT_EQ(alice.associations[0].via->rule, "school-staff");
  const User& bob = r.model.users.at("id-bob");
  ASSERT_EQ(bob.associations.size(), 1u);
  EXPECT_EQ(bob.associations[0].target, "100003");
  EXPECT_EQ(role_ids(bob), std::vector<std::string>{"teacher"});
}

TEST(Mapper, PatternMustMatchTheWholeDn) {
  auto config = la_config();
  auto rule = make_rule("partial", by_pattern(R"(CN=Staff-(\d+))"));
  rule.institutions = {"$1"};
  config.rules = {rule};
  auto r = map_directory(
      {snapshot("ad", {make_user("alice")}, {make_group("Staff-100001", {user_dn("alice")})})},
      config);
  EXPECT_TRUE(r.model.users.at("id-alice").associations.empty());
  EXPECT_TRUE(has_warning(r, "partial", "matched no group"));
}

// Issue 15: one group with a DN of ~26,000 characters crashed every sync pass (a stack
// overflow in std::regex). It is now skipped with one warning; the other groups still match.
TEST(Mapper, GroupWithHugeDnIsSkippedWithAWarningNotACrash) {
  auto config = la_config();
  auto rule = make_rule("school-staff", by_pattern(R"(CN=((?:[a-z0-9]|-)+),OU=Groups,.*)"));
  rule.roles = {"teacher"};
  config.rules = {rule};
  DirectoryGroup huge = make_group(std::string(26000, 'a'), {user_dn("bob")});
  auto r = map_directory({snapshot("ad", {make_user("alice"), make_user("bob")},
                                   {make_group("Staff-100001", {user_dn("alice")}), huge})},
                         config);
  EXPECT_EQ(role_ids(r.model.users.at("id-alice")), std::vector<std::string>{"teacher"});
  EXPECT_TRUE(r.model.users.at("id-bob").roles.empty());
  EXPECT_TRUE(has_warning(r, "", "1 group(s) with a DN longer than 8192 bytes"));
}

TEST(Mapper, InstitutionRuleDefinesInstitutionsFromGroups) {
  MappingConfig config;
  InstitutionRule ir;
  ir.id = "schools";
  ir.group = by_pattern(R"(cn=School-(\d+),ou=groups,dc=la,dc=example)");
  ir.institution_id = "$1";
  ir.name = "{description}";
  ir.mis_url = "https://mis.example/$1/{name}";
  ir.skip_second_factor = SecondFactorPolicy::Always;
  config.institution_rules = {ir};
  auto staff =
      make_rule("school-staff", by_pattern(R"(cn=School-(\d+),ou=groups,dc=la,dc=example)"));
  staff.institutions = {"$1"};
  config.rules = {staff};

  auto r = map_directory(
      {snapshot("ad", {make_user("alice")},
                {make_group("School-200001", {user_dn("alice")}, "Fir Academy"),
                 make_group("School-200002", {}, "Gorse Academy"), make_group("Other")})},
      config);
  ASSERT_EQ(r.model.institutions.size(), 2u);
  const Institution& fir = r.model.institutions.at("200001");
  EXPECT_EQ(fir.name, "Fir Academy");
  EXPECT_EQ(fir.mis_url, "https://mis.example/200001/School-200001");
  EXPECT_EQ(fir.skip_second_factor, SecondFactorPolicy::Always);
  EXPECT_EQ(r.model.institutions.at("200002").name, "Gorse Academy");
  const User& alice = r.model.users.at("id-alice");
  ASSERT_EQ(alice.associations.size(), 1u);
  EXPECT_EQ(alice.associations[0].target, "200001");
  EXPECT_TRUE(r.warnings.empty());
}

TEST(Mapper, ClustersAndInstitutionsComeFromConfigAndLoginPermissionIsAlwaysThere) {
  MappingConfig config;  // no permissions at all
  auto r = map_directory({}, config);
  ASSERT_TRUE(r.model.permissions.contains(std::string(kLoginPermission)));
  EXPECT_EQ(r.model.permissions.at(std::string(kLoginPermission)).name, kLoginPermissionName);

  auto la = map_directory({}, la_config());
  EXPECT_EQ(la.model.institutions.size(), 5u);
  ASSERT_TRUE(la.model.clusters.contains("primaries"));
  EXPECT_EQ(la.model.clusters.at("primaries").institutions,
            (std::vector<std::string>{"100001", "100002"}));
  EXPECT_TRUE(la.model.permissions.contains(std::string(kLoginPermission)));
  EXPECT_TRUE(la.model.permissions.contains("mis.read"));
}

TEST(Mapper, FiveLevelNestingGrantsWithTheChain) {
  auto config = la_config();
  auto rule = make_rule("all-staff", by_dn(group_dn("L5")));
  rule.roles = {"teacher"};
  config.rules = {rule};
  auto r = map_directory(
      {snapshot("ad", {make_user("alice")},
                {make_group("L5", {group_dn("L4")}), make_group("L4", {group_dn("L3")}),
                 make_group("L3", {group_dn("L2")}), make_group("L2", {group_dn("L1")}),
                 make_group("L1", {user_dn("alice")})})},
      config);
  const User& alice = r.model.users.at("id-alice");
  ASSERT_EQ(alice.roles.size(), 1u);
  EXPECT_EQ(alice.roles[0].via->group, group_dn("L5"));
  EXPECT_EQ(alice.roles[0].via->chain,
            (std::vector<std::string>{group_dn("L1"), group_dn("L2"), group_dn("L3"),
                                      group_dn("L4"), group_dn("L5")}));
}

TEST(Mapper, CycleIsReportedAndMembersAreStillMapped) {
  auto config = la_config();
  auto rule = make_rule("ring", by_dn(group_dn("RingC")));
  rule.roles = {"teacher"};
  config.rules = {rule};
  auto r = map_directory({snapshot("ad", {make_user("alice")},
                                   {make_group("RingA", {user_dn("alice"), group_dn("RingC")}),
                                    make_group("RingB", {group_dn("RingA")}),
                                    make_group("RingC", {group_dn("RingB")})})},
                         config);
  ASSERT_EQ(r.cycles.size(), 1u);
  EXPECT_EQ(r.cycles[0],
            (std::vector<std::string>{group_dn("RingA"), group_dn("RingB"), group_dn("RingC")}));
  EXPECT_TRUE(has_warning(r, "", "cycle"));
  EXPECT_EQ(role_ids(r.model.users.at("id-alice")), std::vector<std::string>{"teacher"});
}

// The issue's example: the Primaries cluster plus two secondary schools.
TEST(Mapper, PrimariesClusterPlusTwoSecondarySchools) {
  auto config = la_config();
  auto primaries = make_rule("primaries-staff", by_dn(group_dn("Primary Staff")));
  primaries.clusters = {"primaries"};
  primaries.roles = {"teacher"};
  auto secondary =
      make_rule("secondary-staff", by_pattern(R"(cn=Staff-(\d+),ou=groups,dc=la,dc=example)"));
  secondary.institutions = {"$1"};
  config.rules = {primaries, secondary};
  auto r = map_directory(
      {snapshot("ad", {make_user("alice")},
                {make_group("Primary Staff", {user_dn("alice")}),
                 make_group("Staff-100003", {user_dn("alice")}),
                 make_group("Staff-100004", {user_dn("alice")}), make_group("Staff-100005")})},
      config);
  const User& alice = r.model.users.at("id-alice");
  EXPECT_EQ(associated_institutions(r.model, alice),
            (std::vector<std::string>{"100001", "100002", "100003", "100004"}));
  EXPECT_EQ(loginable_institutions(r.model, alice),
            (std::vector<std::string>{"100001", "100002", "100003", "100004"}));
  EXPECT_FALSE(decide(r.model, parse_user_key("alice"), "100005").allowed);
  EXPECT_THAT(decide(r.model, parse_user_key("alice"), "100002").path,
              HasSubstr("via cluster Primaries"));
  EXPECT_THAT(decide(r.model, parse_user_key("alice"), "100004").path,
              HasSubstr("directly to Damson Secondary"));
}

TEST(Mapper, UserInNoGroupIsKeptWithoutAssociations) {
  auto config = la_config();
  auto rule = make_rule("teachers", by_dn(group_dn("Teachers")));
  rule.roles = {"teacher"};
  config.rules = {rule};
  auto r = map_directory({snapshot("ad", {make_user("alice"), make_user("loner")},
                                   {make_group("Teachers", {user_dn("alice")})})},
                         config);
  ASSERT_TRUE(r.model.users.contains("id-loner"));
  const User& loner = r.model.users.at("id-loner");
  EXPECT_TRUE(loner.roles.empty());
  EXPECT_TRUE(loner.associations.empty());
  EXPECT_TRUE(associated_institutions(r.model, loner).empty());
}

TEST(Mapper, DisabledUsersAreKeptAndMarkedDisabled) {
  auto config = la_config();
  auto rule = make_rule("teachers", by_dn(group_dn("Teachers")));
  rule.roles = {"teacher"};
  config.rules = {rule};
  auto r = map_directory({snapshot("ad", {make_user("gone", /*enabled=*/false)},
                                   {make_group("Teachers", {user_dn("gone")})})},
                         config);
  const User& gone = r.model.users.at("id-gone");
  EXPECT_FALSE(gone.enabled);
  EXPECT_EQ(role_ids(gone), std::vector<std::string>{"teacher"});
}

TEST(Mapper, RuleMatchingNoGroupWarns) {
  auto config = la_config();
  auto rule = make_rule("ghost", by_dn("cn=Ghost,ou=groups,dc=la,dc=example"));
  rule.roles = {"teacher"};
  auto by_source = make_rule("other-source", by_dn(group_dn("Teachers")));
  by_source.source = "ldap";  // Teachers exists only in source "ad"
  by_source.roles = {"teacher"};
  config.rules = {rule, by_source};
  auto r = map_directory(
      {snapshot("ad", {make_user("alice")}, {make_group("Teachers", {user_dn("alice")})})}, config);
  EXPECT_TRUE(has_warning(r, "ghost", "matched no group"));
  EXPECT_TRUE(has_warning(r, "other-source", "matched no group"));
  EXPECT_TRUE(r.model.users.at("id-alice").roles.empty());
}

TEST(Mapper, UnknownTargetsAreSkippedWithWarnings) {
  auto config = la_config();
  auto rule = make_rule("mixed", by_dn(group_dn("Teachers")));
  rule.roles = {"teacher", "wizard"};
  rule.institutions = {"100001", "999999"};
  rule.clusters = {"primaries", "nowhere"};
  config.rules = {rule};
  auto r = map_directory(
      {snapshot("ad", {make_user("alice")}, {make_group("Teachers", {user_dn("alice")})})}, config);
  EXPECT_TRUE(has_warning(r, "mixed", "unknown role 'wizard'"));
  EXPECT_TRUE(has_warning(r, "mixed", "unknown institution '999999'"));
  EXPECT_TRUE(has_warning(r, "mixed", "unknown cluster 'nowhere'"));
  const User& alice = r.model.users.at("id-alice");
  EXPECT_EQ(role_ids(alice), std::vector<std::string>{"teacher"});
  ASSERT_EQ(alice.associations.size(), 2u);
  EXPECT_EQ(alice.associations[0].target, "100001");
  EXPECT_EQ(alice.associations[1].target, "primaries");
}

TEST(Mapper, InvalidPatternWarnsAndIsSkipped) {
  auto config = la_config();
  auto rule = make_rule("broken", by_pattern("cn=(unclosed"));
  rule.roles = {"teacher"};
  config.rules = {rule};
  auto r = map_directory(
      {snapshot("ad", {make_user("alice")}, {make_group("Teachers", {user_dn("alice")})})}, config);
  EXPECT_TRUE(has_warning(r, "broken", "invalid pattern"));
  EXPECT_TRUE(r.model.users.at("id-alice").roles.empty());
}

TEST(Mapper, DuplicateGrantsAreKeptOnce) {
  auto config = la_config();
  auto rule = make_rule("teachers", by_dn(group_dn("Teachers")));
  rule.roles = {"teacher", "teacher"};
  rule.institutions = {"100001", "100001"};
  config.rules = {rule};
  auto group = make_group("Teachers", {user_dn("alice"), "UID=ALICE,ou=people,dc=la,dc=example"});
  group.member_uids = {"alice"};
  auto r = map_directory({snapshot("ad", {make_user("alice")}, {group})}, config);
  const User& alice = r.model.users.at("id-alice");
  EXPECT_EQ(alice.roles.size(), 1u);
  EXPECT_EQ(alice.associations.size(), 1u);
}

TEST(Mapper, AllInstitutionsRuleSetsTheFlag) {
  auto config = la_config();
  auto rule = make_rule("la-admins", by_dn(group_dn("LA Admins")));
  rule.roles = {"teacher"};
  rule.all_institutions = true;
  config.rules = {rule};
  auto r = map_directory(
      {snapshot("ad", {make_user("admin")}, {make_group("LA Admins", {user_dn("admin")})})},
      config);
  const User& admin = r.model.users.at("id-admin");
  ASSERT_EQ(admin.associations.size(), 1u);
  EXPECT_EQ(admin.associations[0].kind, AssociationKind::All);
  EXPECT_EQ(associated_institutions(r.model, admin).size(), 5u);
}

TEST(Mapper, SnapshotsAreMergedWithTheirSources) {
  auto config = la_config();
  auto teachers = make_rule("teachers", by_dn(group_dn("Teachers")));
  teachers.roles = {"teacher"};
  auto cedar = make_rule("cedar", by_dn(group_dn("Cedar")));
  cedar.institutions = {"100003"};
  cedar.source = "ldap";
  config.rules = {teachers, cedar};
  auto shared_ad = make_user("shared");
  auto shared_ldap = make_user("shared", /*enabled=*/false);
  auto r = map_directory({snapshot("ldap", {make_user("carol"), shared_ldap},
                                   {make_group("Cedar", {user_dn("carol"), user_dn("shared")}),
                                    make_group("Teachers", {user_dn("carol")})}),
                          snapshot("ad", {make_user("alice"), shared_ad},
                                   {make_group("Teachers", {user_dn("alice"), user_dn("shared")}),
                                    make_group("Cedar", {user_dn("alice")})})},
                         config);
  ASSERT_EQ(r.model.users.size(), 3u);
  EXPECT_EQ(r.model.users.at("id-alice").source, "ad");
  EXPECT_EQ(r.model.users.at("id-carol").source, "ldap");
  // "cedar" applies to the ldap source only.
  EXPECT_TRUE(r.model.users.at("id-alice").associations.empty());
  ASSERT_EQ(r.model.users.at("id-carol").associations.size(), 1u);
  EXPECT_EQ(r.model.users.at("id-carol").associations[0].via->source, "ldap");
  // A user in two sources gets the grants of both; disabled anywhere means disabled.
  const User& shared = r.model.users.at("id-shared");
  EXPECT_FALSE(shared.enabled);
  EXPECT_EQ(role_ids(shared), std::vector<std::string>{"teacher"});
  EXPECT_EQ(shared.roles[0].via->source, "ad");
  ASSERT_EQ(shared.associations.size(), 1u);
  EXPECT_EQ(shared.associations[0].via->source, "ldap");
}

TEST(Mapper, OutputIsDeterministicWhateverTheInputOrder) {
  auto config = la_config();
  auto primaries = make_rule("primaries-staff", by_dn(group_dn("Primary Staff")));
  primaries.clusters = {"primaries"};
  primaries.roles = {"teacher", "viewer"};
  auto secondary =
      make_rule("secondary-staff", by_pattern(R"(cn=Staff-(\d+),ou=groups,dc=la,dc=example)"));
  secondary.institutions = {"$1"};
  auto unknown = make_rule("unknown", by_dn(group_dn("Teachers")));
  unknown.roles = {"nope"};
  config.rules = {primaries, secondary, unknown};
  std::vector<DirectoryUser> users;
  for (const char* n : {"alice", "bob", "carol", "dave", "erin"}) users.push_back(make_user(n));
  std::vector<DirectoryGroup> groups = {
      make_group("Primary Staff", {group_dn("Teachers"), user_dn("erin")}),
      make_group("Teachers", {user_dn("alice"), user_dn("bob"), group_dn("Heads")}),
      make_group("Heads", {user_dn("carol"), group_dn("Teachers")}),
      make_group("Staff-100003", {user_dn("alice"), user_dn("dave"), group_dn("Heads")}),
      make_group("Staff-100004", {group_dn("Primary Staff")})};
  auto other =
      snapshot("ldap", {make_user("frank")}, {make_group("Staff-100005", {user_dn("frank")})});

  const auto reference = map_directory({snapshot("ad", users, groups), other}, config);
  const std::string expected = testing::dump(reference.model);
  std::mt19937 rng(7);
  for (int i = 0; i < 20; ++i) {
    auto u = users;
    auto g = groups;
    std::shuffle(u.begin(), u.end(), rng);
    std::shuffle(g.begin(), g.end(), rng);
    for (auto& group : g) std::shuffle(group.member_dns.begin(), group.member_dns.end(), rng);
    std::vector<DirectorySnapshot> snaps = {snapshot("ad", u, g), other};
    if (i % 2 == 1) std::swap(snaps[0], snaps[1]);
    const auto r = map_directory(snaps, config);
    EXPECT_EQ(testing::dump(r.model), expected);
    EXPECT_EQ(r.cycles, reference.cycles);
    ASSERT_EQ(r.warnings.size(), reference.warnings.size());
    for (std::size_t w = 0; w < r.warnings.size(); ++w) {
      EXPECT_EQ(r.warnings[w].message, reference.warnings[w].message);
    }
  }
}

}  // namespace
}  // namespace trustgate
