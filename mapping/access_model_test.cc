#include "mapping/access_model.h"

#include <gtest/gtest.h>

#include "mapping/decision.h"

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
  ASSERT_NE(m.lookup(parse_user_key("id:u-2")).user, nullptr);
  EXPECT_EQ(m.lookup(parse_user_key("id:u-2")).user->username, "bob");
}

TEST(AccessModel, FindUserByUsernameCaseInsensitive) {
  const AccessModel m = two_users();
  ASSERT_NE(m.lookup(parse_user_key("alice")).user, nullptr);
  EXPECT_EQ(m.lookup(parse_user_key("alice")).user->id, "u-1");
  ASSERT_NE(m.lookup(parse_user_key("BOB")).user, nullptr);
  EXPECT_EQ(m.lookup(parse_user_key("BOB")).user->id, "u-2");
}

TEST(AccessModel, FindUserUnknownOrAmbiguousIsNull) {
  AccessModel m = two_users();
  EXPECT_EQ(m.lookup(parse_user_key("carol")).user, nullptr);
  EXPECT_EQ(m.lookup(parse_user_key("")).user, nullptr);
  User twin;
  twin.id = "u-3";
  twin.username = "ALICE";
  m.users[twin.id] = twin;
  EXPECT_EQ(m.lookup(parse_user_key("alice")).user, nullptr);
  EXPECT_NE(m.lookup(parse_user_key("id:u-3")).user, nullptr);
}

TEST(AccessModel, UsernameSpellingAnotherUsersIdNamesOnlyItsOwner) {
  AccessModel m = two_users();
  User mallory;
  mallory.id = "u-9";
  mallory.username = "u-2";  // bob's stable id
  m.users[mallory.id] = mallory;
  EXPECT_EQ(m.lookup(parse_user_key("u-2")).user->id, "u-9");
  EXPECT_EQ(m.lookup(parse_user_key("id:u-2")).user->id, "u-2");
  EXPECT_EQ(m.lookup(UserKey::by_id("u-9")).user->username, "u-2");
}

TEST(AccessModel, SharedUsernameIsAmbiguousNotUnknown) {
  AccessModel m = two_users();
  User twin;
  twin.id = "u-3";
  twin.username = "Alice";
  m.users[twin.id] = twin;
  EXPECT_EQ(m.lookup(parse_user_key("alice")).status, UserLookup::Status::Ambiguous);
  EXPECT_EQ(m.lookup(parse_user_key("carol")).status, UserLookup::Status::Unknown);
  EXPECT_EQ(decide(m, parse_user_key("ALICE"), "100001").reason, reason::kAmbiguousUser);
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
