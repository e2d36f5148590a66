#include "mapping/model_diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <random>

#include "mapping/mapper.h"
#include "mapping/test_fixtures.h"

namespace trustgate {
namespace {

using testing::by_dn;
using ::testing::ElementsAre;
using testing::group_dn;
using ::testing::IsEmpty;
using testing::la_config;
using testing::make_group;
using testing::make_rule;
using testing::make_user;
using testing::snapshot;
using testing::user_dn;

MappingConfig diff_config() {
  auto config = la_config();
  auto teachers = make_rule("r1", by_dn(group_dn("Teachers")));
  teachers.roles = {"teacher"};
  auto primaries = make_rule("prim", by_dn(group_dn("Primary Staff")));
  primaries.clusters = {"primaries"};
  auto cedar = make_rule("cedar", by_dn(group_dn("Cedar Staff")));
  cedar.institutions = {"100003"};
  config.rules = {teachers, primaries, cedar};
  return config;
}

TEST(ModelDiff, IdenticalModelsHaveAnEmptyDiff) {
  auto m = map_directory(
               {snapshot("ad", {make_user("alice")}, {make_group("Teachers", {user_dn("alice")})})},
               diff_config())
               .model;
  const ModelDiff d = diff_models(m, m);
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.summary(), "users +0 -0 ~0, grants +0 -0, institutions +0 -0");
}

TEST(ModelDiff, UsersAddedRemovedAndChangedWithHumanLines) {
  const auto config = diff_config();
  auto before =
      map_directory({snapshot("ad", {make_user("alice"), make_user("bob"), make_user("carol")},
                              {make_group("Teachers", {user_dn("alice"), user_dn("bob")}),
                               make_group("Cedar Staff", {user_dn("alice")})})},
                    config)
          .model;
  auto after =
      map_directory({snapshot("ad", {make_user("alice"), make_user("carol"), make_user("dave")},
                              {make_group("Teachers", {user_dn("alice"), user_dn("dave")}),
                               make_group("Primary Staff", {user_dn("alice")})})},
                    config)
          .model;
  const ModelDiff d = diff_models(before, after);
  ASSERT_EQ(d.users.size(), 3u);  // carol does not change
  EXPECT_EQ(d.users[0].user_id, "id-alice");
  EXPECT_EQ(d.users[0].change, UserDiff::Change::Changed);
  EXPECT_THAT(d.users[0].granted, ElementsAre("+ cluster primaries (rule prim, group " +
                                              group_dn("Primary Staff") + ")"));
  EXPECT_THAT(d.users[0].revoked, ElementsAre("- institution 100003 (rule cedar, group " +
                                              group_dn("Cedar Staff") + ")"));
  EXPECT_EQ(d.users[1].user_id, "id-bob");
  EXPECT_EQ(d.users[1].change, UserDiff::Change::Removed);
  EXPECT_EQ(d.users[1].grants_removed, 1u);
  EXPECT_THAT(d.users[1].revoked,
              ElementsAre("- role teacher (rule r1, group " + group_dn("Teachers") + ")"));
  EXPECT_EQ(d.users[2].user_id, "id-dave");
  EXPECT_EQ(d.users[2].change, UserDiff::Change::Added);
  EXPECT_EQ(d.users[2].grants_added, 1u);

  EXPECT_EQ(d.users_added, 1u);
  EXPECT_EQ(d.users_removed, 1u);
  EXPECT_EQ(d.users_changed, 1u);
  EXPECT_EQ(d.grants_added, 2u);
  EXPECT_EQ(d.grants_removed, 2u);
  EXPECT_EQ(d.summary(), "users +1 -1 ~1, grants +2 -2, institutions +0 -0");
}

// The daemon's loop asks for counts only: the same counts and summary, no user lines, and a
// user added or removed with several grants (one of them twice, by two rules) counted as the
// lines would count it.
TEST(ModelDiff, CountsOnlyGivesTheCountsOfTheFullDiff) {
  auto config = diff_config();
  auto twice = make_rule("r2", by_dn(group_dn("Teachers")));
  twice.roles = {"teacher"};
  config.rules.push_back(twice);
  const auto before =
      map_directory({snapshot("ad", {make_user("alice"), make_user("bob"), make_user("carol")},
                              {make_group("Teachers", {user_dn("alice"), user_dn("bob")}),
                               make_group("Cedar Staff", {user_dn("alice"), user_dn("bob")})})},
                    config)
          .model;
  const auto after =
      map_directory({snapshot("ad",
                              {make_user("alice", false), make_user("carol"), make_user("dave"),
                               make_user("erin")},
                              {make_group("Teachers", {user_dn("alice"), user_dn("dave")}),
                               make_group("Primary Staff", {user_dn("alice"), user_dn("dave")}),
                               make_group("Cedar Staff", {user_dn("dave")})})},
                    config)
          .model;
  for (const auto& [from, to] :
       {std::pair{&before, &after}, std::pair{&after, &before}, std::pair{&before, &before}}) {
    const ModelDiff full = diff_models(*from, *to);
    const ModelDiff counts = diff_models(*from, *to, DiffDetail::CountsOnly);
    EXPECT_THAT(counts.users, IsEmpty());
    EXPECT_EQ(counts.summary(), full.summary());
    EXPECT_EQ(counts.grants_added, full.grants_added);
    EXPECT_EQ(counts.grants_removed, full.grants_removed);
    EXPECT_EQ(counts.empty(), full.empty());
  }
  const ModelDiff forward = diff_models(before, after, DiffDetail::CountsOnly);
  // bob removed with his 3 grants (teacher by two rules, one institution); alice loses an
  // institution and is disabled (2), gains a cluster (1); dave added with 4 grants, erin none.
  EXPECT_EQ(forward.summary(), "users +2 -1 ~1, grants +5 -5, institutions +0 -0");
}

// A random directory over a fixed set of people: each is present or not, enabled or not, and
// in each of the three groups the rules match or not.
AccessModel random_model(std::mt19937_64& rng, int people) {
  std::vector<DirectoryUser> users;
  std::vector<std::string> teachers, primaries, cedar;
  for (int i = 0; i < people; ++i) {
    const std::uint64_t bits = rng();
    if ((bits & 3) == 0) continue;  // not in this directory
    const std::string name = fmt::format("user{:03}", i);
    users.push_back(make_user(name, (bits & 4) != 0 || (bits & 8) != 0));
    if (bits & 16) teachers.push_back(user_dn(name));
    if (bits & 32) primaries.push_back(user_dn(name));
    if (bits & 64) cedar.push_back(user_dn(name));
  }
  return map_directory(
             {snapshot("ad", users,
                       {make_group("Teachers", teachers), make_group("Primary Staff", primaries),
                        make_group("Cedar Staff", cedar)})},
             diff_config())
      .model;
}

// The limit on user lines (the daemon's history) against the unlimited diff, on random pairs of
// directories: the same counts whatever the limit; under it every line, over it none.
TEST(ModelDiff, LimitedUserLinesAgreeWithTheFullDiffOnRandomDirectories) {
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    const int people = 1 + static_cast<int>(rng() % 40);
    const AccessModel before = random_model(rng, people);
    const AccessModel after = random_model(rng, people);
    const ModelDiff full = diff_models(before, after);
    const std::size_t limit = rng() % (full.users.size() + 3);
    const ModelDiff limited = diff_models(before, after, DiffDetail::UserLines, limit);
    EXPECT_EQ(limited.summary(), full.summary());
    EXPECT_EQ(limited.grants_added, full.grants_added);
    EXPECT_EQ(limited.grants_removed, full.grants_removed);
    EXPECT_EQ(limited.empty(), full.empty());
    if (full.users.size() <= limit) {
      EXPECT_FALSE(limited.user_lines_dropped);
      ASSERT_EQ(limited.users.size(), full.users.size());
      for (std::size_t i = 0; i < full.users.size(); ++i) {
        EXPECT_EQ(limited.users[i].user_id, full.users[i].user_id);
        EXPECT_EQ(limited.users[i].granted, full.users[i].granted);
        EXPECT_EQ(limited.users[i].revoked, full.users[i].revoked);
        EXPECT_EQ(limited.users[i].updated, full.users[i].updated);
      }
    } else {
      EXPECT_TRUE(limited.user_lines_dropped);
      EXPECT_THAT(limited.users, IsEmpty());
    }
    EXPECT_FALSE(full.user_lines_dropped);
  }
}

TEST(ModelDiff, DisablingCountsAsOneRemovedGrant) {
  const auto config = diff_config();
  auto groups = std::vector<DirectoryGroup>{make_group("Teachers", {user_dn("alice")})};
  auto before = map_directory({snapshot("ad", {make_user("alice")}, groups)}, config).model;
  auto after = map_directory({snapshot("ad", {make_user("alice", false)}, groups)}, config).model;
  const ModelDiff d = diff_models(before, after);
  ASSERT_EQ(d.users.size(), 1u);
  EXPECT_THAT(d.users[0].revoked, ElementsAre("- enabled"));
  EXPECT_EQ(d.grants_removed, 1u);
  const ModelDiff back = diff_models(after, before);
  EXPECT_THAT(back.users[0].granted, ElementsAre("+ enabled"));
  EXPECT_EQ(back.grants_added, 1u);
}

TEST(ModelDiff, ANewNestingChainIsNoChangeInAccess) {
  const auto config = diff_config();
  auto before =
      map_directory(
          {snapshot("ad", {make_user("alice")}, {make_group("Teachers", {user_dn("alice")})})},
          config)
          .model;
  auto after = map_directory({snapshot("ad", {make_user("alice")},
                                       {make_group("Teachers", {group_dn("Maths")}),
                                        make_group("Maths", {user_dn("alice")})})},
                             config)
                   .model;
  EXPECT_TRUE(diff_models(before, after).empty());
}

TEST(ModelDiff, ProfileChangesAreListedWithoutGrantCounts) {
  const auto config = diff_config();
  auto renamed = make_user("alice");
  renamed.display_name = "Alice Smith";
  auto before = map_directory({snapshot("ad", {make_user("alice")}, {})}, config).model;
  auto after = map_directory({snapshot("ad", {renamed}, {})}, config).model;
  const ModelDiff d = diff_models(before, after);
  ASSERT_EQ(d.users.size(), 1u);
  EXPECT_THAT(d.users[0].updated, ElementsAre("~ display name: User alice -> Alice Smith"));
  EXPECT_THAT(d.users[0].granted, IsEmpty());
  EXPECT_EQ(d.grants_added + d.grants_removed, 0u);
  EXPECT_EQ(d.users_changed, 1u);
}

TEST(ModelDiff, InstitutionsClustersAndRolesAreCounted) {
  AccessModel before = map_directory({}, la_config()).model;
  AccessModel after = before;
  after.institutions.erase("100005");
  after.institutions["100006"] = Institution{"100006", "Fern", "", SecondFactorPolicy::WhenMfa};
  after.institutions["100007"] = Institution{"100007", "Gorse", "", SecondFactorPolicy::WhenMfa};
  after.institutions["100001"].skip_second_factor = SecondFactorPolicy::Always;
  after.clusters["primaries"].institutions.push_back("100006");
  after.roles["viewer"].permissions.push_back(std::string(kLoginPermission));
  const ModelDiff d = diff_models(before, after);
  EXPECT_FALSE(d.empty());
  EXPECT_EQ(d.institutions_added, 2u);
  EXPECT_EQ(d.institutions_removed, 1u);
  EXPECT_EQ(d.institutions_changed, 1u);
  EXPECT_EQ(d.clusters_changed, 1u);
  EXPECT_EQ(d.roles_changed, 1u);
  EXPECT_EQ(d.summary(),
            "users +0 -0 ~0, grants +0 -0, institutions +2 -1 ~1, clusters ~1, roles ~1");
}

}  // namespace
}  // namespace trustgate
