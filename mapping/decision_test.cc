#include "mapping/decision.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mapping/mapper.h"
#include "mapping/test_fixtures.h"

namespace trustgate {
namespace {

using testing::by_dn;
using ::testing::ElementsAre;
using testing::group_dn;
using ::testing::HasSubstr;
using testing::la_config;
using testing::make_group;
using testing::make_rule;
using testing::make_user;
using testing::snapshot;
using testing::user_dn;

// alice: teacher, Primaries through a nested group, plus Cedar directly.
// bob: viewer only (no login permission), Primaries.
// carol: teacher, in no school group. gone: disabled teacher with Primaries.
// admin: teacher with all institutions.
MappingConfig decision_config() {
  auto config = la_config();
  auto primaries = make_rule("primaries-staff", by_dn(group_dn("Primary Staff")));
  primaries.clusters = {"primaries"};
  auto teachers = make_rule("teachers", by_dn(group_dn("Teachers")));
  teachers.roles = {"teacher"};
  auto viewers = make_rule("viewers", by_dn(group_dn("Viewers")));
  viewers.roles = {"viewer"};
  auto cedar = make_rule("cedar", by_dn(group_dn("Cedar Staff")));
  cedar.institutions = {"100003"};
  auto admins = make_rule("admins", by_dn(group_dn("LA Admins")));
  admins.all_institutions = true;
  config.rules = {primaries, teachers, viewers, cedar, admins};
  return config;
}

std::vector<DirectorySnapshot> decision_directory() {
  return {snapshot(
      "ad",
      {make_user("alice"), make_user("bob"), make_user("carol"), make_user("gone", false),
       make_user("admin")},
      {make_group("Primary Staff", {group_dn("Alder Staff"), user_dn("bob"), user_dn("gone")}),
       make_group("Alder Staff", {user_dn("alice")}),
       make_group("Teachers",
                  {user_dn("alice"), user_dn("carol"), user_dn("gone"), user_dn("admin")}),
       make_group("Viewers", {user_dn("bob")}), make_group("Cedar Staff", {user_dn("alice")}),
       make_group("LA Admins", {user_dn("admin"), user_dn("alice")})})};
}

AccessModel decision_model() {
  return map_directory(decision_directory(), decision_config()).model;
}

TEST(Decision, GrantedViaClusterWithThePath) {
  const AccessModel m = decision_model();
  const Decision d = decide(m, parse_user_key("alice"), "100001");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason, reason::kGranted);
  EXPECT_TRUE(d.profile_ok);
  EXPECT_TRUE(d.permission_ok);
  EXPECT_TRUE(d.association_ok);
  ASSERT_EQ(d.permission_via.size(), 1u);
  EXPECT_EQ(d.permission_via[0].role, "teacher");
  ASSERT_TRUE(d.association_via.has_value());
  EXPECT_EQ(d.association_via->kind, AssociationKind::Cluster);
  EXPECT_EQ(d.association_via->target, "primaries");
  EXPECT_EQ(d.path, "via cluster Primaries (rule primaries-staff, group " +
                        group_dn("Primary Staff") + "; nested via " + group_dn("Alder Staff") +
                        ")");
}

TEST(Decision, PrefersDirectOverClusterOverAllInstitutions) {
  const AccessModel m = decision_model();
  // alice has 100003 directly and through all institutions: direct wins.
  const Decision direct = decide(m, parse_user_key("alice"), "100003");
  ASSERT_TRUE(direct.association_via.has_value());
  EXPECT_EQ(direct.association_via->kind, AssociationKind::Institution);
  EXPECT_EQ(direct.path,
            "directly to Cedar Secondary (rule cedar, group " + group_dn("Cedar Staff") + ")");
  // 100001 through Primaries and all institutions: the cluster wins.
  EXPECT_EQ(decide(m, parse_user_key("alice"), "100001").association_via->kind,
            AssociationKind::Cluster);
  // 100005 only through all institutions.
  const Decision all = decide(m, parse_user_key("alice"), "100005");
  EXPECT_TRUE(all.allowed);
  EXPECT_EQ(all.association_via->kind, AssociationKind::All);
  EXPECT_THAT(all.path, HasSubstr("via all institutions (rule admins"));
}

TEST(Decision, UnknownUser) {
  const Decision d = decide(decision_model(), parse_user_key("nobody"), "100001");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, reason::kUnknownUser);
  EXPECT_FALSE(d.profile_ok);
  EXPECT_FALSE(d.permission_ok);
  EXPECT_FALSE(d.association_ok);
}

TEST(Decision, DisabledUserIsDeniedWithUserDisabled) {
  const Decision d = decide(decision_model(), parse_user_key("gone"), "100001");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, reason::kUserDisabled);
  EXPECT_FALSE(d.profile_ok);
  // The other preconditions are still evaluated for the explanation.
  EXPECT_TRUE(d.permission_ok);
  EXPECT_TRUE(d.association_ok);
}

TEST(Decision, NoLoginPermission) {
  const Decision d = decide(decision_model(), parse_user_key("bob"), "100001");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, reason::kNoLoginPermission);
  EXPECT_TRUE(d.profile_ok);
  EXPECT_FALSE(d.permission_ok);
  EXPECT_TRUE(d.association_ok);
}

TEST(Decision, UnknownInstitution) {
  const Decision d = decide(decision_model(), parse_user_key("alice"), "999999");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, reason::kUnknownInstitution);
  EXPECT_FALSE(d.association_ok);
}

TEST(Decision, UserInNoGroupIsNotAssociated) {
  const AccessModel m = decision_model();
  const Decision d = decide(m, parse_user_key("carol"), "100001");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, reason::kNotAssociated);
  EXPECT_TRUE(d.profile_ok);
  EXPECT_TRUE(d.permission_ok);
  EXPECT_FALSE(d.association_ok);
  EXPECT_TRUE(associated_institutions(m, m.users.at("id-carol")).empty());
  EXPECT_TRUE(loginable_institutions(m, m.users.at("id-carol")).empty());
}

TEST(Decision, FindsUsersByIdOrUsername) {
  const AccessModel m = decision_model();
  EXPECT_TRUE(decide(m, parse_user_key("id:id-alice"), "100001").allowed);
  EXPECT_TRUE(decide(m, parse_user_key("ALICE"), "100001").allowed);
}

TEST(Decision, AllInstitutionsCoversAnInstitutionAddedLater) {
  auto config = decision_config();
  const AccessModel before = map_directory(decision_directory(), config).model;
  EXPECT_EQ(decide(before, parse_user_key("admin"), "100006").reason, reason::kUnknownInstitution);

  config.institutions.push_back({"100006", "Fern Primary", "https://fern.example/mis"});
  const AccessModel after = map_directory(decision_directory(), config).model;
  const Decision d = decide(after, parse_user_key("admin"), "100006");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.association_via->kind, AssociationKind::All);
  EXPECT_THAT(loginable_institutions(after, after.users.at("id-admin")),
              ElementsAre("100001", "100002", "100003", "100004", "100005", "100006"));
  // The flag is not expanded per school: the user holds one association.
  EXPECT_EQ(after.users.at("id-admin").associations.size(), 1u);
}

TEST(Decision, ExplanationNamesEachPrecondition) {
  const AccessModel m = decision_model();
  const auto granted = explain(decide(m, parse_user_key("alice"), "100001"));
  ASSERT_EQ(granted.size(), 3u);
  EXPECT_THAT(granted[0], HasSubstr("staff profile: met"));
  EXPECT_THAT(granted[1], HasSubstr("Login to MIS: Associated institutions"));
  EXPECT_THAT(granted[1], HasSubstr("met, through role teacher (rule teachers"));
  EXPECT_THAT(granted[2], HasSubstr("associated institution: met, via cluster Primaries"));

  const auto disabled = explain(decide(m, parse_user_key("gone"), "100001"));
  EXPECT_THAT(disabled[0], HasSubstr("not met (the account is disabled)"));
  const auto no_perm = explain(decide(m, parse_user_key("bob"), "100001"));
  EXPECT_THAT(no_perm[1], HasSubstr("not met (no business role carries it)"));
  const auto not_assoc = explain(decide(m, parse_user_key("carol"), "100001"));
  EXPECT_THAT(not_assoc[2], HasSubstr("associated institution: not met (not associated with "
                                      "Alder Primary)"));
  const auto unknown = explain(decide(m, parse_user_key("nobody"), "100001"));
  EXPECT_THAT(unknown[0], HasSubstr("not met (no such user)"));
}

TEST(Decision, LoginableInstitutionsNeedProfileAndPermission) {
  const AccessModel m = decision_model();
  EXPECT_THAT(loginable_institutions(m, m.users.at("id-alice")),
              ElementsAre("100001", "100002", "100003", "100004", "100005"));
  // bob is associated but lacks the permission; gone is disabled.
  EXPECT_THAT(associated_institutions(m, m.users.at("id-bob")), ElementsAre("100001", "100002"));
  EXPECT_TRUE(loginable_institutions(m, m.users.at("id-bob")).empty());
  EXPECT_THAT(associated_institutions(m, m.users.at("id-gone")), ElementsAre("100001", "100002"));
  EXPECT_TRUE(loginable_institutions(m, m.users.at("id-gone")).empty());
}

TEST(Decision, PermissionsOfAreSortedAndUnique) {
  AccessModel m = decision_model();
  User& alice = m.users["id-alice"];
  alice.roles.push_back(RoleGrant{"viewer", {}});
  alice.roles.push_back(RoleGrant{"unknown-role", {}});
  EXPECT_THAT(permissions_of(m, alice), ElementsAre(std::string(kLoginPermission), "mis.read"));
  EXPECT_THAT(permissions_of(m, m.users.at("id-bob")), ElementsAre("mis.read"));
}

TEST(Decision, DescribeManualProvenance) {
  AccessModel m = decision_model();
  Association a{AssociationKind::Institution, "100004",
                Provenance{Provenance::Kind::Manual, "", "", {}, "sysadmin"}};
  EXPECT_EQ(describe(m, a), "directly to Damson Secondary (manual, by sysadmin)");
}

}  // namespace
}  // namespace trustgate
