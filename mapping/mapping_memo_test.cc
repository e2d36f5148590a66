// map_directory() with a MappingMemo: the same result as without one, after any kind of change,
// while reusing (sharing) the users that a change did not touch.
#include "mapping/mapping_memo.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "mapping/mapper.h"
#include "mapping/test_fixtures.h"

namespace trustgate {
namespace {

using namespace trustgate::testing;

// An LA with two sources: 40 users; staff groups per school by pattern, a login group with a
// three-level nesting chain, a cluster group, an all-institutions group, a posixGroup, and a
// stable id shared by two entries (one per source).
struct Directory {
  DirectorySnapshot ldap, ad;
  std::vector<DirectorySnapshot> both() const { return {ad, ldap}; }
};

Directory make_directory() {
  Directory d;
  std::vector<DirectoryUser> users;
  for (int i = 0; i < 40; ++i) users.push_back(make_user(fmt::format("u{:02}", i), i % 13 != 5));
  auto dns = [&](int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i < to; ++i) out.push_back(users[i].dn);
    return out;
  };
  std::vector<DirectoryGroup> groups;
  groups.push_back(make_group("Staff-100001", dns(0, 10)));
  groups.push_back(make_group("Staff-100003", dns(8, 20)));
  auto level3 = make_group("Level3", dns(20, 30));
  auto level2 = make_group("Level2", {level3.dn, users[30].dn});
  auto login = make_group("MIS-Users", {level2.dn, users[0].dn, users[9].dn});
  groups.push_back(level3);
  groups.push_back(level2);
  groups.push_back(login);
  groups.push_back(make_group("Cluster-primaries", dns(30, 35)));
  groups.push_back(make_group("All-Schools", dns(35, 37)));
  DirectoryGroup posix = make_group("Posix-Viewers");
  posix.member_uids = {"u37", "U38"};
  groups.push_back(posix);
  d.ldap = snapshot("ldap", users, groups);

  DirectoryUser twin = make_user("u03");  // the same stable id in the AD source
  twin.dn = "CN=u03,OU=Staff,DC=trust,DC=example";
  twin.enabled = false;
  DirectoryGroup ad_staff = make_group("Staff-100004", {twin.dn});
  ad_staff.dn = "CN=Staff-100004,OU=Groups,DC=trust,DC=example";
  d.ad = snapshot("ad", {twin}, {ad_staff});
  return d;
}

MappingConfig make_config() {
  MappingConfig c = la_config();
  MappingRule staff = make_rule("staff", by_pattern("(?:cn|CN)=Staff-(\\d+),.*"));
  staff.roles = {"teacher"};
  staff.institutions = {"$1"};
  MappingRule login = make_rule("login", by_dn(group_dn("MIS-Users")));
  login.roles = {"teacher"};
  login.institutions = {"100002"};
  MappingRule cluster = make_rule("cluster", by_id("gid-Cluster-primaries"));
  cluster.clusters = {"primaries"};
  MappingRule all = make_rule("all", by_dn(group_dn("All-Schools")));
  all.all_institutions = true;
  MappingRule viewers = make_rule("viewers", by_dn(group_dn("Posix-Viewers")));
  viewers.roles = {"viewer"};
  c.rules = {staff, login, cluster, all, viewers};
  return c;
}

DirectoryGroup& group(DirectorySnapshot& s, const std::string& cn) {
  for (auto& g : s.groups)
    if (g.name == cn) return g;
  throw std::out_of_range(cn);
}

// Maps with the memo and checks the result against a memo-less mapping of the same input.
AccessModel map_checked(const Directory& d, const MappingConfig& config, MappingMemo& memo) {
  MappingResult with = map_directory(d.both(), config, &memo);
  MappingResult without = map_directory(d.both(), config);
  EXPECT_EQ(dump(with.model), dump(without.model));
  EXPECT_TRUE(with.model.users == without.model.users);
  return std::move(with.model);
}

TEST(MappingMemo, FirstPassMapsEveryoneAndAnUnchangedPassReusesEveryone) {
  const MappingConfig config = make_config();
  Directory d = make_directory();
  MappingMemo memo;
  AccessModel first = map_checked(d, config, memo);
  EXPECT_EQ(memo.reused, 0u);
  EXPECT_EQ(memo.mapped, first.users.size());
  AccessModel second = map_checked(d, config, memo);
  EXPECT_EQ(memo.mapped, 0u);
  EXPECT_EQ(memo.reused, second.users.size());
  for (const auto& [id, user] : second.users.entries()) {
    if (id == "id-u03") continue;  // made from two entries: merged afresh
    EXPECT_EQ(user, first.users.shared(id)) << id << " should be shared, not copied";
  }
}

TEST(MappingMemo, PatternMatchesAreRememberedPerPatternAndGroup) {
  const MappingConfig config = make_config();
  Directory d = make_directory();
  MappingMemo memo;
  map_checked(d, config, memo);
  // One pattern rule over 8 + 1 groups: each (pattern, group DN) evaluated once.
  EXPECT_EQ(memo.pattern_matches.size(), d.ldap.groups.size() + d.ad.groups.size());
  const auto hit = memo.pattern_matches.find(std::string("(?:cn|CN)=Staff-(\\d+),.*") + '\0' +
                                             group_dn("Staff-100003"));
  ASSERT_NE(hit, memo.pattern_matches.end());
  ASSERT_TRUE(hit->second.has_value());
  EXPECT_EQ(hit->second->at(1), "100003");
  map_checked(d, config, memo);  // served from the cache, same model
  EXPECT_EQ(memo.pattern_matches.size(), d.ldap.groups.size() + d.ad.groups.size());
}

TEST(MappingMemo, AMembershipChangeRemapsOnlyTheUserItTouches) {
  const MappingConfig config = make_config();
  Directory d = make_directory();
  d.ad.users.clear();  // no stable id in two entries (see the next test)
  MappingMemo memo;
  AccessModel before = map_checked(d, config, memo);
  auto& staff = group(d.ldap, "Staff-100001").member_dns;
  staff.erase(std::find(staff.begin(), staff.end(), user_dn("u04")));
  AccessModel after = map_checked(d, config, memo);
  EXPECT_TRUE(memo.incremental) << "a member change needs no new group tree";
  EXPECT_EQ(memo.mapped, 1u);
  EXPECT_NE(after.users.shared("id-u04"), before.users.shared("id-u04"));
  EXPECT_EQ(after.users.shared("id-u05"), before.users.shared("id-u05"));
  EXPECT_TRUE(after.users.at("id-u04").associations.empty());
}

TEST(MappingMemo, AnIdInTwoEntriesIsMergedByTheFullPass) {
  const MappingConfig config = make_config();
  Directory d = make_directory();  // id-u03 is in both sources
  MappingMemo memo;
  map_checked(d, config, memo);
  auto& staff = group(d.ldap, "Staff-100001").member_dns;
  staff.erase(std::find(staff.begin(), staff.end(), user_dn("u04")));
  AccessModel after = map_checked(d, config, memo);
  EXPECT_FALSE(memo.incremental);
  EXPECT_EQ(memo.mapped, 1u);                      // still only u04 is mapped afresh
  EXPECT_FALSE(after.users.at("id-u03").enabled);  // disabled in AD wins
}

TEST(MappingMemo, AGroupChangeOtherThanUserMembersRemapsEveryone) {
  const MappingConfig config = make_config();
  Directory d = make_directory();
  MappingMemo memo;
  map_checked(d, config, memo);
  group(d.ldap, "Level2").name = "Level-Two";  // a group attribute: the structure changed
  map_checked(d, config, memo);
  EXPECT_FALSE(memo.incremental);
  EXPECT_EQ(memo.reused, 0u);
  map_checked(d, config, memo);  // and the new structure is reused from then on
  EXPECT_EQ(memo.mapped, 0u);
  // Nesting changed: Level3 leaves Level2.
  auto& members = group(d.ldap, "Level-Two").member_dns;
  members.erase(members.begin());
  map_checked(d, config, memo);
  EXPECT_FALSE(memo.incremental);
  EXPECT_EQ(memo.reused, 0u);
}

// Random edits of every kind, each pass checked against a memo-less mapping.
TEST(MappingMemo, RandomChangesGiveTheSameModelAsAFullMapping) {
  const MappingConfig config = make_config();
  Directory d = make_directory();
  const std::vector<DirectoryUser> twin = d.ad.users;
  d.ad.users.clear();
  MappingMemo memo;
  std::mt19937 rng(20261128);
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  const std::vector<std::function<void()>> edits = {
      [&] {  // remove a member value
        auto& g = d.ldap.groups[pick(d.ldap.groups.size())];
        if (!g.member_dns.empty())
          g.member_dns.erase(g.member_dns.begin() + pick(g.member_dns.size()));
      },
      [&] {  // add a user to a group
        auto& g = d.ldap.groups[pick(d.ldap.groups.size())];
        g.member_dns.push_back(d.ldap.users[pick(d.ldap.users.size())].dn);
      },
      [&] {  // disable or enable a user
        auto& u = d.ldap.users[pick(d.ldap.users.size())];
        u.enabled = !u.enabled;
      },
      [&] {  // rename a user (the directory rewrites its member values, as refint does)
        auto& u = d.ldap.users[pick(d.ldap.users.size())];
        const std::string old_dn = u.dn;
        u.dn = fmt::format("uid={},ou=moved,dc=la,dc=example", u.username);
        for (auto& g : d.ldap.groups)
          for (auto& m : g.member_dns)
            if (m == old_dn) m = u.dn;
      },
      [&] {  // a new user, in a group
        DirectoryUser u = make_user(fmt::format("n{}", pick(1000)));
        if (std::any_of(d.ldap.users.begin(), d.ldap.users.end(),
                        [&](const DirectoryUser& x) { return x.id == u.id; }))
          return;
        d.ldap.users.push_back(u);
        d.ldap.groups[pick(d.ldap.groups.size())].member_dns.push_back(u.dn);
      },
      [&] {  // delete a user (it leaves every group)
        if (d.ldap.users.size() < 5) return;
        auto it = d.ldap.users.begin() + static_cast<std::ptrdiff_t>(pick(d.ldap.users.size()));
        const std::string dn = it->dn;
        d.ldap.users.erase(it);
        for (auto& g : d.ldap.groups) std::erase(g.member_dns, dn);
      },
      [&] {  // change a posixGroup's memberUid values
        auto& uids = group(d.ldap, "Posix-Viewers").member_uids;
        uids.push_back(d.ldap.users[pick(d.ldap.users.size())].username);
      },
      [&] {  // the AD twin of u03 comes or goes (an id in two entries: the full pass)
        if (d.ad.users.empty()) {
          d.ad.users = twin;
        } else {
          d.ad.users.clear();
        }
      },
      [&] {  // nest or un-nest a group
        auto& g = d.ldap.groups[pick(d.ldap.groups.size())];
        g.member_dns.push_back(d.ldap.groups[pick(d.ldap.groups.size())].dn);
      },
      [&] {  // a group's description (used by nothing here, still part of the structure)
        d.ldap.groups[pick(d.ldap.groups.size())].description = fmt::format("d{}", pick(9));
      },
  };
  std::size_t reused = 0, incremental = 0;
  for (int pass = 0; pass < 300; ++pass) {
    edits[pick(edits.size())]();
    map_checked(d, config, memo);
    reused += memo.reused;
    incremental += memo.incremental ? 1 : 0;
    if (::testing::Test::HasFailure()) FAIL() << "after pass " << pass;
  }
  // Both shortcuts were actually taken (and checked) many times.
  EXPECT_GT(reused, 0u);
  EXPECT_GT(incremental, 30u);
}

}  // namespace
}  // namespace trustgate
