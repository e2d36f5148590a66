#include "mapping/identity_collisions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace trustgate {
namespace {

using ::testing::HasSubstr;
using Kind = IdentityCollision::Kind;

User user(std::string id, std::string username, std::string dn = "") {
  User u;
  u.id = std::move(id);
  u.username = std::move(username);
  u.dn = std::move(dn);
  return u;
}

AccessModel model_of(std::vector<User> users) {
  AccessModel m;
  for (auto& u : users) m.users[u.id] = u;
  return m;
}

TEST(IdentityCollisions, NoneInADirectoryWithDistinctNames) {
  const AccessModel m =
      model_of({user("u1", "alice", "uid=alice,dc=x"), user("u2", "bob", "uid=bob,dc=x")});
  EXPECT_TRUE(find_identity_collisions(m).empty());
}

TEST(IdentityCollisions, UsernameThatSpellsAnotherUsersIdIsReported) {
  const AccessModel m = model_of({user("9F1C", "aisha"), user("u2", "9f1c")});
  const auto c = find_identity_collisions(m);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], (IdentityCollision{Kind::UsernameIsAnId, "9f1c", {"9F1C", "u2"}}));
  EXPECT_THAT(describe(c[0]), HasSubstr("spells another user's stable id"));
}

TEST(IdentityCollisions, OwnIdAsUsernameIsNoCollision) {
  EXPECT_TRUE(find_identity_collisions(model_of({user("u1", "u1")})).empty());
}

TEST(IdentityCollisions, SharedUsernamesSharedDnsAndIdKeysAreEachReported) {
  const AccessModel m = model_of(
      {user("u1", "Sam", "uid=sam,dc=x"), user("u2", "sam", "UID=Sam, DC=x"), user("u3", "id:u1")});
  const auto c = find_identity_collisions(m);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0], (IdentityCollision{Kind::SharedUsername, "sam", {"u1", "u2"}}));
  EXPECT_EQ(c[1], (IdentityCollision{Kind::UsernameIsIdKey, "id:u1", {"u3"}}));
  EXPECT_EQ(c[2].kind, Kind::SharedDn);
  EXPECT_EQ(c[2].ids, (std::vector<std::string>{"u1", "u2"}));
  EXPECT_THAT(describe(c[0]), HasSubstr("ambiguous"));
}

DirectorySnapshot groups_of(std::string source, std::vector<DirectoryGroup> groups) {
  DirectorySnapshot s;
  s.source = std::move(source);
  s.groups = std::move(groups);
  return s;
}

DirectoryGroup group(std::string id, std::string dn) {
  DirectoryGroup g;
  g.id = std::move(id);
  g.dn = std::move(dn);
  return g;
}

TEST(IdentityCollisions, TwoGroupsOfOneSourceWithOneDnAreReported) {
  const auto c = find_group_collisions(
      {groups_of("ad", {group("g1", "CN=Staff,DC=x"), group("g2", "cn=staff, dc=x"),
                        group("g3", "CN=Other,DC=x")})});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], (IdentityCollision{Kind::SharedGroupDn, "cn=staff,dc=x", {"g1", "g2"}}));
  EXPECT_THAT(describe(c[0]), HasSubstr("2 groups with different ids (g1, g2)"));
}

TEST(IdentityCollisions, OneGroupDnInTwoSourcesOrTwiceWithOneIdIsNoCollision) {
  EXPECT_TRUE(find_group_collisions({groups_of("a", {group("g1", "cn=staff,dc=x")}),
                                     groups_of("b", {group("g2", "cn=staff,dc=x")})})
                  .empty());
  EXPECT_TRUE(find_group_collisions(
                  {groups_of("a", {group("g1", "cn=staff,dc=x"), group("g1", "CN=Staff,DC=x"),
                                   group("", "cn=staff,dc=x")})})
                  .empty());
}

}  // namespace
}  // namespace trustgate
