#include "mapping/manual_association.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mapping/decision.h"
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

// alice: teacher; Primaries through a directory group; Cedar (100003) through a rule.
AccessModel directory_model() {
  auto config = la_config();
  auto teachers = make_rule("teachers", by_dn(group_dn("Teachers")));
  teachers.roles = {"teacher"};
  auto primaries = make_rule("prim", by_dn(group_dn("Primary Staff")));
  primaries.clusters = {"primaries"};
  auto cedar = make_rule("cedar", by_dn(group_dn("Cedar Staff")));
  cedar.institutions = {"100003"};
  config.rules = {teachers, primaries, cedar};
  return map_directory({snapshot("ad", {make_user("alice"), make_user("bob")},
                                 {make_group("Teachers", {user_dn("alice"), user_dn("bob")}),
                                  make_group("Primary Staff", {user_dn("alice")}),
                                  make_group("Cedar Staff", {user_dn("alice")})})},
                       config)
      .model;
}

ManualAssociation manual(std::string user, AssociationKind kind, std::string target) {
  return ManualAssociation{std::move(user), kind, std::move(target), "sysadmin", 1'800'000'000};
}

TEST(ManualAssociation, WithManualAddsAssociationsWithManualProvenance) {
  const AccessModel merged =
      with_manual(directory_model(), {manual("id-bob", AssociationKind::Institution, "100004"),
                                      manual("id-bob", AssociationKind::Cluster, "primaries"),
                                      manual("id-nobody", AssociationKind::All, "")});
  const User& bob = merged.users.at("id-bob");
  ASSERT_EQ(bob.associations.size(), 2u);
  EXPECT_EQ(bob.associations[0].kind, AssociationKind::Institution);
  EXPECT_EQ(bob.associations[0].via->kind, Provenance::Kind::Manual);
  EXPECT_EQ(bob.associations[0].via->source, "sysadmin");
  EXPECT_EQ(bob.associations[1].kind, AssociationKind::Cluster);
  EXPECT_FALSE(merged.users.contains("id-nobody"));
  EXPECT_THAT(loginable_institutions(merged, bob), ElementsAre("100001", "100002", "100004"));
  EXPECT_THAT(decide(merged, parse_user_key("bob"), "100004").path,
              HasSubstr("(manual, by sysadmin)"));
}

TEST(ManualAssociation, RemovingASchoolHeldOnlyThroughAClusterIsBlockedByTheCluster) {
  const RemovalCheck c =
      check_removal(directory_model(), "id-alice", AssociationKind::Institution, "100001");
  EXPECT_FALSE(c.removable);
  EXPECT_EQ(c.blocking_kind, "cluster");
  EXPECT_EQ(c.blocking_name, "primaries");
  EXPECT_THAT(c.message, HasSubstr("cluster Primaries"));

  // Also when the cluster itself was associated by hand.
  const AccessModel merged =
      with_manual(directory_model(), {manual("id-bob", AssociationKind::Cluster, "primaries")});
  const RemovalCheck m = check_removal(merged, "id-bob", AssociationKind::Institution, "100002");
  EXPECT_FALSE(m.removable);
  EXPECT_EQ(m.blocking_kind, "cluster");
  EXPECT_EQ(m.blocking_name, "primaries");
}

TEST(ManualAssociation, RemovingASchoolHeldThroughADirectoryRuleIsBlockedByTheGroup) {
  const AccessModel m = directory_model();
  const RemovalCheck c = check_removal(m, "id-alice", AssociationKind::Institution, "100003");
  EXPECT_FALSE(c.removable);
  EXPECT_EQ(c.blocking_kind, "group");
  EXPECT_EQ(c.blocking_name, group_dn("Cedar Staff"));
  const RemovalCheck cluster = check_removal(m, "id-alice", AssociationKind::Cluster, "primaries");
  EXPECT_FALSE(cluster.removable);
  EXPECT_EQ(cluster.blocking_kind, "group");
  EXPECT_EQ(cluster.blocking_name, group_dn("Primary Staff"));
}

TEST(ManualAssociation, AManualAssociationIsRemovable) {
  // Even when a cluster also covers the school: the manual association itself can go.
  const AccessModel merged =
      with_manual(directory_model(), {manual("id-alice", AssociationKind::Institution, "100001"),
                                      manual("id-bob", AssociationKind::All, "")});
  EXPECT_TRUE(check_removal(merged, "id-alice", AssociationKind::Institution, "100001").removable);
  const RemovalCheck all = check_removal(merged, "id-bob", AssociationKind::All, "");
  EXPECT_TRUE(all.removable);
  // A school bob has only through his all-institutions association.
  const RemovalCheck via_all =
      check_removal(merged, "id-bob", AssociationKind::Institution, "100005");
  EXPECT_FALSE(via_all.removable);
  EXPECT_EQ(via_all.blocking_kind, "all");
}

TEST(ManualAssociation, UnknownAssociationOrUserIsNeitherRemovableNorBlocked) {
  const AccessModel m = directory_model();
  const RemovalCheck none = check_removal(m, "id-bob", AssociationKind::Institution, "100004");
  EXPECT_FALSE(none.removable);
  EXPECT_TRUE(none.blocking_kind.empty());
  const RemovalCheck nobody = check_removal(m, "id-nobody", AssociationKind::Institution, "1");
  EXPECT_FALSE(nobody.removable);
  EXPECT_TRUE(nobody.blocking_kind.empty());
}

}  // namespace
}  // namespace trustgate
