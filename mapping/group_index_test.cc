#include "mapping/group_index.h"

#include <gtest/gtest.h>

#include <utility>

#include "mapping/group_tree.h"
#include "mapping/test_fixtures.h"

namespace trustgate {
namespace {

using testing::group_dn;
using testing::make_group;
using testing::make_user;
using testing::user_dn;

std::vector<std::uint32_t> listing(const GroupIndex& index, std::string_view key) {
  auto groups = index.groups_listing(key);
  return {groups.begin(), groups.end()};
}

TEST(GroupIndex, ListsTheGroupsOfEachValueInGroupOrderAndSetsNestingApart) {
  std::vector<DirectoryGroup> groups = {
      make_group("A", {user_dn("alice"), user_dn("bob"), group_dn("B")}),
      make_group("B", {"UID=Alice, ou=People,dc=la,dc=example", user_dn("alice")}),
      make_group("C", {user_dn("bob")})};
  const GroupIndex index(groups);
  // Values compare normalised; a group listing one value twice is listed twice (the tree makes
  // memberships unique).
  EXPECT_EQ(listing(index, "uid=alice,ou=people,dc=la,dc=example"),
            (std::vector<std::uint32_t>{0, 1, 1}));
  EXPECT_EQ(listing(index, "uid=bob,ou=people,dc=la,dc=example"),
            (std::vector<std::uint32_t>{0, 2}));
  EXPECT_TRUE(listing(index, "uid=carol,ou=people,dc=la,dc=example").empty());
  // A value naming a group is nesting, not a listed member.
  EXPECT_TRUE(listing(index, "cn=b,ou=groups,dc=la,dc=example").empty());
  EXPECT_EQ(index.parents()[1], (std::vector<std::size_t>{0}));
  ASSERT_NE(index.group_with_dn("cn=b,ou=groups,dc=la,dc=example"), nullptr);
  EXPECT_EQ(*index.group_with_dn("cn=b,ou=groups,dc=la,dc=example"), 1u);
}

TEST(GroupIndex, KnowsTheVectorItWasBuiltFrom) {
  std::vector<DirectoryGroup> groups = {make_group("A", {user_dn("alice")})};
  const GroupIndex index(groups);
  EXPECT_TRUE(index.built_from(groups));
  const std::vector<DirectoryGroup> moved = std::move(groups);  // the elements stay put
  EXPECT_TRUE(index.built_from(moved));
  const std::vector<DirectoryGroup> copy = moved;
  EXPECT_FALSE(index.built_from(copy));
  std::vector<DirectoryGroup> grown = moved;
  grown.push_back(make_group("B"));
  EXPECT_FALSE(index.built_from(grown));
}

// The tree from an index built before the users were known is the tree built at once, for
// the cases a DN lookup decides: a user whose DN is a group's gets nothing through it, users
// sharing a DN are both members, memberUid still counts, and nesting and cycles hold.
TEST(GroupIndex, TheTreeFromAPrebuiltIndexIsTheTreeBuiltAtOnce) {
  std::vector<DirectoryUser> users = {make_user("alice"), make_user("bob"), make_user("carol")};
  users[2].dn = group_dn("Staff");  // an entry with a group's DN
  DirectoryUser alice_again = make_user("alice2");
  alice_again.dn = "uid=ALICE,ou=people,dc=la,dc=example";  // alice's DN, other case
  users.push_back(alice_again);
  auto staff = make_group("Staff", {user_dn("alice"), group_dn("Staff")});  // itself: a cycle
  auto all = make_group("All", {group_dn("Staff"), user_dn("bob")});
  auto posix = make_group("Posix");
  posix.member_uids = {"Carol"};
  std::vector<DirectoryGroup> groups = {staff, all, posix, make_group("Empty")};

  const GroupTree direct(groups, users);
  const GroupIndex index(groups);
  const GroupTree prebuilt(index, groups, users);
  for (std::size_t u = 0; u < users.size(); ++u)
    EXPECT_EQ(prebuilt.direct_groups(u), direct.direct_groups(u)) << users[u].dn;
  EXPECT_EQ(prebuilt.parents(), direct.parents());
  EXPECT_EQ(prebuilt.rank(), direct.rank());
  EXPECT_EQ(prebuilt.cycles(), direct.cycles());

  EXPECT_EQ(direct.direct_groups(0), (std::vector<std::size_t>{0}));  // alice: Staff
  EXPECT_EQ(direct.direct_groups(3), (std::vector<std::size_t>{0}));  // her DN's twin too
  EXPECT_EQ(direct.direct_groups(1), (std::vector<std::size_t>{1}));  // bob: All
  EXPECT_EQ(direct.direct_groups(2), (std::vector<std::size_t>{2}));  // carol: by uid only
  ASSERT_EQ(direct.cycles().size(), 1u);
}

}  // namespace
}  // namespace trustgate
