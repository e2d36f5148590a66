#include "mapping/group_tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "mapping/test_fixtures.h"

namespace trustgate {
namespace {

using testing::group_dn;
using testing::make_group;
using testing::make_user;
using testing::user_dn;

// group DN -> chain of DNs, for one user.
std::map<std::string, std::vector<std::string>> chains(const GroupTree& tree,
                                                       const std::vector<DirectoryGroup>& groups,
                                                       std::size_t user) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& m : tree.memberships_of_user(user)) {
    std::vector<std::string> chain;
    for (std::size_t g : m.chain) chain.push_back(groups[g].dn);
    EXPECT_EQ(m.chain.back(), m.group);
    EXPECT_TRUE(out.emplace(groups[m.group].dn, chain).second) << "group listed twice";
  }
  return out;
}

TEST(GroupTree, DirectMembersByDnAndByMemberUid) {
  std::vector<DirectoryUser> users = {make_user("alice"), make_user("bob"), make_user("carol")};
  auto staff = make_group("Staff", {user_dn("alice")});
  auto posix = make_group("Posix");
  posix.member_uids = {"BOB"};  // memberUid, compared case-insensitively
  std::vector<DirectoryGroup> groups = {staff, posix};
  GroupTree tree(groups, users);

  auto a = chains(tree, groups, 0);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a.at(group_dn("Staff")), std::vector<std::string>{group_dn("Staff")});
  auto b = chains(tree, groups, 1);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(b.contains(group_dn("Posix")));
  EXPECT_TRUE(tree.memberships_of_user(2).empty());
}

TEST(GroupTree, MemberDnsAreComparedNormalised) {
  std::vector<DirectoryUser> users = {make_user("alice")};
  std::vector<DirectoryGroup> groups = {
      make_group("Inner", {"UID=Alice, OU=People, DC=LA, DC=Example"}),
      make_group("Outer", {"CN=INNER , ou=groups,dc=la,dc=example"})};
  GroupTree tree(groups, users);
  auto a = chains(tree, groups, 0);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a.at(group_dn("Outer")),
            (std::vector<std::string>{group_dn("Inner"), group_dn("Outer")}));
}

TEST(GroupTree, FiveLevelNestingGivesFullChain) {
  std::vector<DirectoryUser> users = {make_user("alice")};
  std::vector<DirectoryGroup> groups = {
      make_group("L5", {group_dn("L4")}), make_group("L4", {group_dn("L3")}),
      make_group("L3", {group_dn("L2")}), make_group("L2", {group_dn("L1")}),
      make_group("L1", {user_dn("alice")})};
  GroupTree tree(groups, users);
  auto a = chains(tree, groups, 0);
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a.at(group_dn("L5")),
            (std::vector<std::string>{group_dn("L1"), group_dn("L2"), group_dn("L3"),
                                      group_dn("L4"), group_dn("L5")}));
  EXPECT_EQ(a.at(group_dn("L3")).size(), 3u);
  EXPECT_TRUE(tree.cycles().empty());
}

TEST(GroupTree, PicksTheShortestChain) {
  // alice in A; A in B; B in Top; and A directly in Top: the chain to Top is A > Top.
  std::vector<DirectoryUser> users = {make_user("alice")};
  std::vector<DirectoryGroup> groups = {make_group("Top", {group_dn("B"), group_dn("A")}),
                                        make_group("B", {group_dn("A")}),
                                        make_group("A", {user_dn("alice")})};
  GroupTree tree(groups, users);
  auto a = chains(tree, groups, 0);
  EXPECT_EQ(a.at(group_dn("Top")), (std::vector<std::string>{group_dn("A"), group_dn("Top")}));
}

TEST(GroupTree, CycleIsReportedOnceAndMembersStillResolved) {
  // A contains alice and C; B contains A; C contains B: A -> B -> C -> A (member-of).
  std::vector<DirectoryUser> users = {make_user("alice")};
  std::vector<DirectoryGroup> groups = {make_group("C", {group_dn("B")}),
                                        make_group("A", {user_dn("alice"), group_dn("C")}),
                                        make_group("B", {group_dn("A")})};
  GroupTree tree(groups, users);
  auto a = chains(tree, groups, 0);  // terminates
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a.at(group_dn("C")),
            (std::vector<std::string>{group_dn("A"), group_dn("B"), group_dn("C")}));
  auto cycles = tree.cycles();
  ASSERT_EQ(cycles.size(), 1u);
  EXPECT_EQ(cycles[0], (std::vector<std::string>{group_dn("A"), group_dn("B"), group_dn("C")}));
}

TEST(GroupTree, SelfMembershipAndTwoLoopsThroughOneGroup) {
  std::vector<DirectoryUser> users = {make_user("alice")};
  std::vector<DirectoryGroup> groups = {make_group("Self", {group_dn("Self"), user_dn("alice")}),
                                        make_group("A", {group_dn("B"), group_dn("C")}),
                                        make_group("B", {group_dn("A")}),
                                        make_group("C", {group_dn("A")})};
  GroupTree tree(groups, users);
  auto cycles = tree.cycles();
  ASSERT_EQ(cycles.size(), 3u);
  EXPECT_EQ(cycles[0], (std::vector<std::string>{group_dn("A"), group_dn("B")}));
  EXPECT_EQ(cycles[1], (std::vector<std::string>{group_dn("A"), group_dn("C")}));
  EXPECT_EQ(cycles[2], (std::vector<std::string>{group_dn("Self")}));
  EXPECT_EQ(chains(tree, groups, 0).size(), 1u);
}

TEST(GroupTree, IgnoresMembersThatNameNothing) {
  std::vector<DirectoryUser> users = {make_user("alice")};
  auto g = make_group("G", {"cn=ghost,dc=x", user_dn("alice"), "not a dn"});
  g.member_uids = {"nobody"};
  std::vector<DirectoryGroup> groups = {g};
  GroupTree tree(groups, users);
  EXPECT_EQ(chains(tree, groups, 0).size(), 1u);
}

TEST(GroupTree, ResultDoesNotDependOnInputOrder) {
  std::vector<DirectoryUser> users = {make_user("alice")};
  // Two equally short routes to Top (via X and via Y): the choice must be stable.
  std::vector<DirectoryGroup> groups = {make_group("Top", {group_dn("X"), group_dn("Y")}),
                                        make_group("X", {group_dn("D1")}),
                                        make_group("Y", {group_dn("D2")}),
                                        make_group("D1", {user_dn("alice")}),
                                        make_group("D2", {user_dn("alice")}),
                                        make_group("Loop1", {group_dn("Loop2")}),
                                        make_group("Loop2", {group_dn("Loop1"), group_dn("Top")})};
  GroupTree reference_tree(groups, users);
  const auto reference = chains(reference_tree, groups, 0);
  const auto reference_cycles = reference_tree.cycles();
  EXPECT_EQ(reference.at(group_dn("Top")).front(), group_dn("D1"));

  std::mt19937 rng(42);
  for (int i = 0; i < 20; ++i) {
    auto shuffled = groups;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    for (auto& g : shuffled) std::shuffle(g.member_dns.begin(), g.member_dns.end(), rng);
    GroupTree tree(shuffled, users);
    EXPECT_EQ(chains(tree, shuffled, 0), reference);
    EXPECT_EQ(tree.cycles(), reference_cycles);
  }
}

}  // namespace
}  // namespace trustgate

namespace trustgate {
namespace {

// Many member values are resolved on several threads, each over a run of groups: the tree is
// the same as resolved on one thread, whatever the runs' borders.
TEST(GroupTree, ManyMembersResolveTheSameOnSeveralThreadsAsOnOne) {
  std::vector<DirectoryUser> users;
  for (int i = 0; i < 30000; ++i) users.push_back(testing::make_user(fmt::format("u{:05}", i)));
  std::vector<DirectoryGroup> groups;
  for (int g = 0; g < 300; ++g) {
    std::vector<std::string> members;
    // Every group holds a slice of users (one of them far bigger) and nests in the next one;
    // some values name nothing and one is written in upper case.
    const int size = g == 7 ? 20000 : 200;
    for (int i = 0; i < size; ++i) members.push_back(users[(g * 97 + i) % users.size()].dn);
    members.push_back(testing::group_dn(fmt::format("G{}", g + 1)));
    members.push_back("uid=nobody,dc=nowhere");
    members.push_back(testing::user_dn(fmt::format("u{:05}", g)));
    std::transform(members.back().begin(), members.back().end(), members.back().begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    groups.push_back(testing::make_group(fmt::format("G{}", g), members));
  }
  const GroupTree one(groups, users, 1);
  for (unsigned threads : {2u, 3u, 8u}) {
    SCOPED_TRACE(threads);
    const GroupTree many(groups, users, threads);
    EXPECT_EQ(many.parents(), one.parents());
    for (std::size_t u = 0; u < users.size(); ++u) {
      ASSERT_EQ(many.direct_groups(u), one.direct_groups(u)) << users[u].dn;
    }
  }
  // The upper-cased value still found its user.
  EXPECT_FALSE(one.direct_groups(5).empty());
}

// Issue 14.3: a member value written in another escaping than the user's entry DN (as slapd
// returns member values as loaded) names that user.
TEST(GroupTree, MemberValuesInAnotherEscapingNameTheUser) {
  std::vector<DirectoryUser> users = {make_user("a"), make_user("b")};
  users[0].dn = "CN=Smith\\, John,OU=People,DC=la,DC=example";
  users[1].dn = "cn=Żaneta\\2C Ł,ou=people,dc=la,dc=example";
  std::vector<DirectoryGroup> groups = {
      make_group("Staff", {"cn=\"Smith, John\",ou=people,dc=la,dc=example",
                           "cn=\\c5\\bbANETA\\, \\c5\\81,ou=people,dc=la,dc=example"})};
  GroupTree tree(groups, users);
  EXPECT_EQ(tree.direct_groups(0), std::vector<std::size_t>{0});
  EXPECT_EQ(tree.direct_groups(1), std::vector<std::size_t>{0});
}

// A normalised DN can be longer than the DN as written ("a,b" quoted is shorter than a\,b
// escaped): many such users must all be found.
TEST(GroupTree, UsersWhoseNormalisedDnIsLongerThanWrittenAreFound) {
  std::vector<DirectoryUser> users;
  std::vector<std::string> members;
  for (int i = 0; i < 2000; ++i) {
    users.push_back(make_user(fmt::format("u{}", i)));
    users.back().dn = fmt::format("cn=\",,,,,,,,{}\",dc=x", i);
    members.push_back(fmt::format("cn=\\,\\,\\,\\,\\,\\,\\,\\,{},dc=x", i));
  }
  std::vector<DirectoryGroup> groups = {make_group("Staff", members)};
  GroupTree tree(groups, users);
  for (std::size_t u = 0; u < users.size(); ++u)
    ASSERT_EQ(tree.direct_groups(u), std::vector<std::size_t>{0}) << users[u].dn;
}

}  // namespace
}  // namespace trustgate
