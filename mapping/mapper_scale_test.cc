// map_directory on directories big enough for its threads and caches: the same model as the
// plain mapping.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "mapping/mapper.h"
#include "mapping/test_fixtures.h"

namespace trustgate {
namespace {

using testing::by_dn;
using testing::by_pattern;
using testing::group_dn;
using testing::la_config;
using testing::make_group;
using testing::make_rule;
using testing::make_user;
using testing::snapshot;

// Schools from the groups: Staff-NNNNNN is a school's staff (institution NNNNNN); members of
// "All Staff", through any nesting, are teachers.
MappingConfig school_staff_config() {
  auto config = la_config();
  config.institutions.clear();
  config.clusters.clear();
  InstitutionRule ir;
  ir.id = "schools";
  ir.group = by_pattern(R"(cn=Staff-(\d+),ou=groups,dc=la,dc=example)");
  ir.name = "School $1";
  config.institution_rules = {ir};
  auto staff = make_rule("staff", by_pattern(R"(cn=Staff-(\d+),ou=groups,dc=la,dc=example)"));
  staff.institutions = {"$1"};
  auto all = make_rule("all-staff", by_dn(group_dn("All Staff")));
  all.roles = {"teacher"};
  config.rules = {staff, all};
  return config;
}

TEST(Mapper, ManyUsersAreMappedThroughGroupsOnce) {
  // A moderately large directory: every user is in their school's staff group; schools are
  // grouped under a nested "All Staff" group that grants a role.
  const auto config = school_staff_config();

  constexpr int kSchools = 50, kPerSchool = 200;
  std::vector<DirectoryUser> users;
  std::vector<DirectoryGroup> groups;
  auto all_staff = make_group("All Staff");
  for (int s = 0; s < kSchools; ++s) {
    auto g = make_group(fmt::format("Staff-{}", 300000 + s));
    for (int i = 0; i < kPerSchool; ++i) {
      users.push_back(make_user(fmt::format("u{}-{}", s, i)));
      g.member_dns.push_back(users.back().dn);
    }
    all_staff.member_dns.push_back(g.dn);
    groups.push_back(std::move(g));
  }
  groups.push_back(all_staff);
  auto r = map_directory({snapshot("ad", users, groups)}, config);
  EXPECT_EQ(r.model.institutions.size(), static_cast<std::size_t>(kSchools));
  EXPECT_EQ(r.model.users.size(), static_cast<std::size_t>(kSchools * kPerSchool));
  EXPECT_EQ(r.model.grant_count(), static_cast<std::size_t>(2 * kSchools * kPerSchool));
  const User& u = r.model.users.at("id-u7-3");
  ASSERT_EQ(u.associations.size(), 1u);
  EXPECT_EQ(u.associations[0].target, "300007");
  ASSERT_EQ(u.roles.size(), 1u);
  EXPECT_EQ(u.roles[0].via->chain,
            (std::vector<std::string>{group_dn("Staff-300007"), group_dn("All Staff")}));
}

// Many users are mapped on several threads, each slice with its own provenance objects; the
// model is the same as mapped on one thread.
TEST(Mapper, ManyUsersMapTheSameOnSeveralThreadsAsOnOne) {
  const auto config = testing::staff_everyone_config();
  const std::vector<DirectorySnapshot> snaps = {testing::staff_everyone_directory(40000)};
  const MappingResult one = map_directory(snaps, config, nullptr, 1);
  const MappingResult four = map_directory(snaps, config, nullptr, 4);
  ASSERT_EQ(one.model.users.size(), 40000u);
  EXPECT_TRUE(one.model.users == four.model.users);
  EXPECT_EQ(one.model.grant_count(), four.model.grant_count());
  // The first and the last staff member hold the same provenance: one object on one thread,
  // two (one per slice) on several, which shows the threads ran.
  const User& first = one.model.users.at("id-user00000");
  const User& last = one.model.users.at("id-user39999");
  ASSERT_FALSE(first.roles.empty());
  ASSERT_FALSE(last.roles.empty());
  EXPECT_EQ(first.roles[0].via.identity(), last.roles[0].via.identity());
  EXPECT_NE(four.model.users.at("id-user00000").roles[0].via.identity(),
            four.model.users.at("id-user39999").roles[0].via.identity());
}

// Users whose direct groups are the same get their grants from the mapper's per-thread cache;
// each user still holds exactly what it holds mapped alone, with the same groups.
TEST(Mapper, UsersSharingDirectGroupsHoldWhatEachHoldsAlone) {
  auto config = school_staff_config();
  auto heads = make_rule("heads", by_dn(group_dn("Heads")));
  heads.roles = {"viewer"};
  config.rules.push_back(heads);

  constexpr int kSchools = 12, kUsers = 3000;
  std::vector<DirectoryGroup> groups;
  for (int s = 0; s < kSchools; ++s)
    groups.push_back(make_group(fmt::format("Staff-{}", 300000 + s)));
  auto all_staff = make_group("All Staff");
  for (int s = 0; s < kSchools / 2; ++s) all_staff.member_dns.push_back(groups[s].dn);
  auto heads_group = make_group("Heads");
  // Groups no rule names: one holding a school's staff group (no grants through it), and one
  // inside All Staff (teachers through it): the cache's key leaves out only the first kind.
  auto clubs = make_group("Clubs", {groups[1].dn});
  auto supply = make_group("Supply");
  all_staff.member_dns.push_back(supply.dn);
  std::vector<DirectoryUser> users;
  for (int i = 0; i < kUsers; ++i) {
    users.push_back(make_user(fmt::format("u{:04}", i), i % 11 != 0));
    groups[i % kSchools].member_dns.push_back(users.back().dn);
    if (i % 4 == 0) groups[(i * 7 + 3) % kSchools].member_dns.push_back(users.back().dn);
    if (i % 9 == 0) heads_group.member_dns.push_back(users.back().dn);
    if (i % 5 == 0) clubs.member_dns.push_back(users.back().dn);
    if (i % 13 == 0) supply.member_dns.push_back(users.back().dn);
  }
  for (auto* g : {&all_staff, &heads_group, &clubs, &supply}) groups.push_back(*g);

  const MappingResult whole = map_directory({snapshot("ad", users, groups)}, config, nullptr, 2);
  ASSERT_EQ(whole.model.users.size(), static_cast<std::size_t>(kUsers));
  std::size_t with_grants = 0;
  for (int i = 0; i < kUsers; i += 7) {
    const MappingResult alone = map_directory({snapshot("ad", {users[i]}, groups)}, config);
    const User& expected = alone.model.users.at(users[i].id);
    const User& got = whole.model.users.at(users[i].id);
    EXPECT_EQ(got, expected) << users[i].id;
    if (!got.roles.empty() || !got.associations.empty()) ++with_grants;
  }
  EXPECT_EQ(with_grants, static_cast<std::size_t>((kUsers + 6) / 7));
}

}  // namespace
}  // namespace trustgate
