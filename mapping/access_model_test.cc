#include "mapping/access_model.h"

#include <gtest/gtest.h>

namespace trustgate {
namespace {

AccessModel two_users() {
  AccessModel m;
  User a;
  a.id = "u-1";
  a.username = "Alice";
  a.roles = {{"teacher", {}}};
  a.associations = {{AssociationKind::Institution, "100001", {}},
                    {AssociationKind::Cluster, "primaries", {}}};
  User b;
  b.id = "u-2";
  b.username = "bob";
  m.users = {{a.id, a}, {b.id, b}};
  m.institutions["100001"] = Institution{"100001", "Alder", "", SecondFactorPolicy::WhenMfa};
  return m;
}

TEST(AccessModel, FindUserByStableId) {
  const AccessModel m = two_users();
  ASSERT_NE(m.find_user("u-2"), nullptr);
  EXPECT_EQ(m.find_user("u-2")->username, "bob");
}

TEST(AccessModel, FindUserByUsernameCaseInsensitive) {
  const AccessModel m = two_users();
  ASSERT_NE(m.find_user("alice"), nullptr);
  EXPECT_EQ(m.find_user("alice")->id, "u-1");
  ASSERT_NE(m.find_user("BOB"), nullptr);
  EXPECT_EQ(m.find_user("BOB")->id, "u-2");
}

TEST(AccessModel, FindUserUnknownOrAmbiguousIsNull) {
  AccessModel m = two_users();
  EXPECT_EQ(m.find_user("carol"), nullptr);
  EXPECT_EQ(m.find_user(""), nullptr);
  User twin;
  twin.id = "u-3";
  twin.username = "ALICE";
  m.users[twin.id] = twin;
  EXPECT_EQ(m.find_user("alice"), nullptr);
  EXPECT_NE(m.find_user("u-3"), nullptr);
}

TEST(AccessModel, FindInstitution) {
  const AccessModel m = two_users();
  ASSERT_NE(m.find_institution("100001"), nullptr);
  EXPECT_EQ(m.find_institution("100001")->name, "Alder");
  EXPECT_EQ(m.find_institution("999999"), nullptr);
}

TEST(AccessModel, GrantCountCountsRolesAndAssociations) {
  EXPECT_EQ(two_users().grant_count(), 3u);
  EXPECT_EQ(AccessModel{}.grant_count(), 0u);
}

TEST(AccessModel, AssociationKindStringsRoundTrip) {
  for (auto k : {AssociationKind::Institution, AssociationKind::Cluster, AssociationKind::All}) {
    EXPECT_EQ(association_kind_from_string(to_string(k)), k);
  }
  EXPECT_EQ(to_string(AssociationKind::Institution), "institution");
  EXPECT_EQ(to_string(AssociationKind::Cluster), "cluster");
  EXPECT_EQ(to_string(AssociationKind::All), "all");
  EXPECT_EQ(association_kind_from_string("school"), std::nullopt);
}

TEST(AccessModel, SecondFactorPolicyStringsRoundTrip) {
  EXPECT_EQ(to_string(SecondFactorPolicy::Always), "always");
  EXPECT_EQ(to_string(SecondFactorPolicy::WhenMfa), "when_mfa");
  EXPECT_EQ(second_factor_policy_from_string("always"), SecondFactorPolicy::Always);
  EXPECT_EQ(second_factor_policy_from_string("when_mfa"), SecondFactorPolicy::WhenMfa);
  EXPECT_EQ(second_factor_policy_from_string("never"), std::nullopt);
}

TEST(AccessModel, CanonicalizeGrantsSortsAndDropsDuplicates) {
  User u;
  u.roles = {{"b", {}}, {"a", {}}, {"b", {}}};
  u.associations = {{AssociationKind::Cluster, "x", {}},
                    {AssociationKind::Institution, "2", {}},
                    {AssociationKind::Institution, "1", {}},
                    {AssociationKind::Institution, "2", {}}};
  canonicalize_grants(u);
  ASSERT_EQ(u.roles.size(), 2u);
  EXPECT_EQ(u.roles[0].role, "a");
  ASSERT_EQ(u.associations.size(), 3u);
  EXPECT_EQ(u.associations[0].target, "1");
  EXPECT_EQ(u.associations[1].target, "2");
  EXPECT_EQ(u.associations[2].kind, AssociationKind::Cluster);
}

}  // namespace
}  // namespace trustgate
