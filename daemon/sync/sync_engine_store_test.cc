// SyncEngine against a real SQLite store and fake / fault-injecting sources.
#include "daemon/sync/sync_engine.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "connectors/fake/fake_source.h"
#include "connectors/fake/faulty_source.h"
#include "mapping/decision.h"
#include "mapping/test_fixtures.h"

namespace trustgate {
namespace {

using namespace trustgate::testing;

class SyncEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tg-sync-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    auto store = Store::open((dir_ / "s.db").string(), clock_);
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    mapping_ = la_config();
    auto staff = make_rule("staff", by_dn(group_dn("Staff")));
    staff.roles = {"teacher"};
    auto school = make_rule("school", by_pattern("^cn=school-(\\d+),ou=groups,.*$"));
    school.institutions = {"$1"};
    mapping_.rules = {staff, school};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Users u0..u(n-1) in Staff and in School-100001, from source `name`.
  static DirectorySnapshot directory(const std::string& name, int n,
                                     const std::string& prefix = "u") {
    std::vector<DirectoryUser> users;
    std::vector<std::string> dns;
    for (int i = 0; i < n; ++i) {
      users.push_back(make_user(prefix + std::to_string(i)));
      dns.push_back(users.back().dn);
    }
    auto staff = make_group("Staff", dns);
    auto school = make_group("School-100001", dns);
    if (prefix != "u") {  // a second source has groups of its own
      staff.dn = group_dn("Staff-" + prefix);
      staff.id += prefix;
      school.dn = group_dn("School-100002");
      school.id += prefix;
    }
    return snapshot(name, users, {staff, school});
  }

  SyncEngine engine(std::vector<DirectorySource*> sources) {
    return SyncEngine(mapping_, safety_, std::move(sources), *store_, clock_);
  }
  bool allowed(const std::string& user, const std::string& inst) {
    auto current = store_->load_current();
    return current && *current && decide((*current)->model, parse_user_key(user), inst).allowed;
  }
  std::int64_t revision() {
    auto info = store_->current_info();
    return info && *info ? (*info)->number : 0;
  }

  ManualClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  MappingConfig mapping_;
  SafetyConfig safety_{.max_grant_removals = 500, .max_grant_removal_share = 1.0};
};

TEST_F(SyncEngineTest, FirstPassAppliesThenAnUnchangedDirectoryWritesNothing) {
  FakeSource source("ldap", directory("ldap", 3));
  auto e = engine({&source});
  auto first = e.run({});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->kind, SyncOutcome::Kind::Applied);
  EXPECT_EQ(revision(), 1);
  EXPECT_TRUE(allowed("u1", "100001"));
  auto second = e.run({});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->kind, SyncOutcome::Kind::Unchanged);
  EXPECT_EQ(revision(), 1);
  EXPECT_TRUE(store_->last_sync_success().value().has_value());
}

// The history: who applied each revision, its counts, and its users' changes with their lines
// when at most kHistoryUserLines users changed (read back as the diff gave them); a larger
// revision keeps its counts only, and so does a pass that asked for fewer lines.
TEST_F(SyncEngineTest, ARevisionKeepsWhoAppliedItAndItsUsersChangesWhenFew) {
  FakeSource source("ldap", directory("ldap", static_cast<int>(kHistoryUserLines) + 1));
  auto e = engine({&source});
  auto first = e.run({.max_user_lines = kHistoryUserLines, .applied_by = "trustgatectl:ann"});
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->kind, SyncOutcome::Kind::Applied);
  const RevisionInfo one = store_->revision(1).value().value();
  EXPECT_EQ(one.applied_by, "trustgatectl:ann");
  ASSERT_TRUE(one.counts.has_value());
  EXPECT_EQ(one.counts->users_added, kHistoryUserLines + 1);
  EXPECT_EQ(one.counts->grants_added, 2 * (kHistoryUserLines + 1));
  EXPECT_FALSE(one.user_changes_kept) << "more users changed than the history keeps";
  EXPECT_TRUE(store_->revision_changes(1).value().empty());

  source.remove_member("gid-Staff", user_dn("u7"));
  source.add_user(make_user("newcomer"));
  auto second = e.run({.max_user_lines = kHistoryUserLines});
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_EQ(second->kind, SyncOutcome::Kind::Applied);
  const RevisionInfo two = store_->revision(2).value().value();
  EXPECT_EQ(two.applied_by, "trustgated");
  EXPECT_EQ(two.counts, (RevisionCounts{1, 0, 1, 0, 1}));
  EXPECT_EQ(two.summary, second->diff.summary());
  ASSERT_TRUE(two.user_changes_kept);
  const std::vector<UserDiff> kept = store_->revision_changes(2).value();
  ASSERT_EQ(kept.size(), second->diff.users.size());
  ASSERT_EQ(kept.size(), 2u);
  for (std::size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ(kept[i].user_id, second->diff.users[i].user_id);
    EXPECT_EQ(kept[i].username, second->diff.users[i].username);
    EXPECT_EQ(kept[i].change, second->diff.users[i].change);
    EXPECT_EQ(kept[i].granted, second->diff.users[i].granted);
    EXPECT_EQ(kept[i].revoked, second->diff.users[i].revoked);
    EXPECT_EQ(kept[i].updated, second->diff.users[i].updated);
    EXPECT_EQ(kept[i].grants_removed, second->diff.users[i].grants_removed);
  }
  EXPECT_EQ(kept[1].username, "u7");
  EXPECT_EQ(kept[1].revoked.size(), 1u);
  EXPECT_EQ(kept[0].change, UserDiff::Change::Added);

  source.remove_member("gid-Staff", user_dn("u8"));
  auto third = e.run({.max_user_lines = 0});  // no lines asked for: none kept
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_FALSE(store_->revision(3).value().value().user_changes_kept);
  EXPECT_EQ(store_->revision(3).value().value().counts, (RevisionCounts{0, 0, 1, 0, 1}));
  EXPECT_FALSE(store_->revision(4).value().has_value());
}

TEST_F(SyncEngineTest, TwoGroupsWithOneDnAreCountedAndWarnedAsACollision) {
  auto dir = directory("ldap", 2);
  auto twin = dir.groups[0];  // Staff again, with another id and the DN in another case
  twin.id += "-twin";
  for (auto& c : twin.dn) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  dir.groups.push_back(twin);
  FakeSource source("ldap", dir);
  auto outcome = engine({&source}).run({});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->identity_collisions, 1u);
  EXPECT_TRUE(std::any_of(outcome->warnings.begin(), outcome->warnings.end(), [](const auto& w) {
    return w.message.find("is held by 2 groups with different ids") != std::string::npos;
  }));
}

TEST_F(SyncEngineTest, AFullPassWritesUsersWhileMappingAndARefusedOneLeavesTheStoreAsItWas) {
  safety_ = {.max_grant_removals = 3, .max_grant_removal_share = 1.0};
  FakeSource source("ldap", directory("ldap", 10));
  auto first = engine({&source}).run({});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->kind, SyncOutcome::Kind::Applied);
  EXPECT_TRUE(first->users_streamed);
  EXPECT_EQ(first->revision->users, 10u);
  EXPECT_TRUE(allowed("u9", "100001"));

  // A new engine has no memo: its pass maps (and streams) every user, then is refused. What
  // it wrote is rolled back and the store is free again (a lock still held would hang here).
  for (int i = 0; i < 4; ++i) source.remove_member("gid-Staff", user_dn("u" + std::to_string(i)));
  source.remove_member("gid-School-100001", user_dn("u0"));
  auto refused = engine({&source}).run({});
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_EQ(refused->kind, SyncOutcome::Kind::Refused);
  EXPECT_TRUE(refused->users_streamed);
  EXPECT_EQ(revision(), 1);
  EXPECT_TRUE(allowed("u0", "100001"));
  auto fresh = Store::open((dir_ / "s.db").string(), clock_);
  ASSERT_TRUE(fresh);
  EXPECT_EQ((*fresh)->load_current().value()->model.users.size(), 10u);
  EXPECT_TRUE(
      decide((*fresh)->load_current().value()->model, parse_user_key("u0"), "100001").allowed);

  // Planning never streams.
  auto plan = engine({&source}).run({.apply = false});
  ASSERT_TRUE(plan);
  EXPECT_FALSE(plan->users_streamed);
}

TEST_F(SyncEngineTest, AStoreFailureWhileUsersAreStreamedAppliesNothing) {
  store_->with_db([](SQLite::Database& db) {
    db.exec(
        "CREATE TRIGGER refuse_u5 BEFORE INSERT ON users WHEN NEW.username = 'u5' "
        "BEGIN SELECT RAISE(ABORT, 'refused row'); END");
  });
  FakeSource source("ldap", directory("ldap", 10));
  auto r = engine({&source}).run({});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("refused row"), std::string::npos) << r.error().message;
  EXPECT_EQ(revision(), 0);
  store_->with_db([](SQLite::Database& db) {
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM users").getInt(), 0);
    db.exec("DROP TRIGGER refuse_u5");
  });
  auto again = engine({&source}).run({});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->kind, SyncOutcome::Kind::Applied);
  EXPECT_TRUE(allowed("u5", "100001"));
}

TEST_F(SyncEngineTest, PlanReportsTheDiffAndAppliesNothing) {
  FakeSource source("ldap", directory("ldap", 3));
  auto e = engine({&source});
  ASSERT_TRUE(e.run({}));
  source.remove_member("gid-Staff", user_dn("u2"));
  auto plan = e.run({.apply = false});
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->kind, SyncOutcome::Kind::Planned);
  ASSERT_EQ(plan->diff.users.size(), 1u);
  EXPECT_EQ(plan->diff.users[0].username, "u2");
  EXPECT_EQ(revision(), 1);
  EXPECT_TRUE(allowed("u2", "100001"));
}

TEST_F(SyncEngineTest, AFailedOnlySourceIsAnErrorAndNothingChanges) {
  FakeSource fake("ldap", directory("ldap", 3));
  FaultySource source(fake);
  auto e = engine({&source});
  ASSERT_TRUE(e.run({}));
  source.fail_next_snapshots(1);
  auto r = e.run({});
  EXPECT_FALSE(r);
  EXPECT_EQ(revision(), 1);
  EXPECT_TRUE(allowed("u0", "100001"));
}

TEST_F(SyncEngineTest, OneSourceFailingNeverRevokesWhatItGrants) {
  FakeSource a_fake("a", directory("a", 2));
  FaultySource a(a_fake);
  FakeSource b("b", directory("b", 2, "v"));
  auto e = engine({&a, &b});
  ASSERT_TRUE(e.run({}));
  EXPECT_TRUE(allowed("u0", "100001"));
  a.fail_next_snapshots(1);
  b.add_user(make_user("v9"));  // b changes meanwhile
  auto r = e.run({});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kind, SyncOutcome::Kind::Applied);
  EXPECT_EQ(r->source_errors.count("a"), 1u);
  EXPECT_TRUE(allowed("u0", "100001"));  // a's grants kept as they were
  auto current = store_->load_current();
  EXPECT_TRUE((*current)->model.users.contains("id-v9"));
}

TEST_F(SyncEngineTest, AnEmptyResultIsRefused) {
  FakeSource fake("ldap", directory("ldap", 3));
  FaultySource source(fake);
  auto e = engine({&source});
  ASSERT_TRUE(e.run({}));
  source.empty_next_snapshots(1);
  auto r = e.run({});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, SyncOutcome::Kind::Refused);
  ASSERT_FALSE(r->refusals.empty());
  EXPECT_NE(r->refusals[0].find("returned no entries"), std::string::npos) << r->refusals[0];
  EXPECT_EQ(revision(), 1);
  EXPECT_TRUE(allowed("u0", "100001"));
}

TEST_F(SyncEngineTest, AVanishedMappedGroupIsRefused) {
  FakeSource fake("ldap", directory("ldap", 3));
  FaultySource source(fake);
  auto e = engine({&source});
  ASSERT_TRUE(e.run({}));
  source.drop_group(group_dn("School-100001"));
  auto r = e.run({});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, SyncOutcome::Kind::Refused);
  bool named = false;
  for (const auto& why : r->refusals)
    named |= why.find("mapped group vanished") != std::string::npos;
  EXPECT_TRUE(named);
  EXPECT_TRUE(allowed("u0", "100001"));
}

TEST_F(SyncEngineTest, AnEmptiedGroupIsNotAVanishedGroup) {
  FakeSource source("ldap", directory("ldap", 1));
  auto e = engine({&source});
  ASSERT_TRUE(e.run({}));
  source.remove_member("gid-School-100001", user_dn("u0"));
  auto r = e.run({});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, SyncOutcome::Kind::Applied);
  EXPECT_FALSE(allowed("u0", "100001"));
}

TEST_F(SyncEngineTest, MassRemovalByCountOrShareIsRefusedUntilOverridden) {
  safety_ = {.max_grant_removals = 3, .max_grant_removal_share = 1.0};
  FakeSource source("ldap", directory("ldap", 10));
  auto e = engine({&source});
  ASSERT_TRUE(e.run({}));
  for (int i = 0; i < 4; ++i) source.remove_member("gid-Staff", user_dn("u" + std::to_string(i)));
  auto by_count = e.run({});
  ASSERT_TRUE(by_count);
  EXPECT_EQ(by_count->kind, SyncOutcome::Kind::Refused);
  EXPECT_EQ(revision(), 1);

  safety_ = {.max_grant_removals = 500, .max_grant_removal_share = 0.1};  // 4 of 20 = 20%
  auto e2 = engine({&source});
  auto by_share = e2.run({});
  ASSERT_TRUE(by_share);
  EXPECT_EQ(by_share->kind, SyncOutcome::Kind::Refused);
  EXPECT_NE(by_share->refusals[0].find("share"), std::string::npos) << by_share->refusals[0];
  EXPECT_TRUE(allowed("u0", "100001"));

  auto forced = e2.run({.allow_mass_removal = true});
  ASSERT_TRUE(forced);
  EXPECT_EQ(forced->kind, SyncOutcome::Kind::Applied);
  EXPECT_TRUE(forced->revision->forced);
  EXPECT_FALSE(allowed("u0", "100001"));
  EXPECT_TRUE(allowed("u5", "100001"));
}

TEST_F(SyncEngineTest, ResumeStateIsStoredWithTheRevision) {
  FakeSource source("ldap", directory("ldap", 2));
  auto e = engine({&source});
  ASSERT_TRUE(e.run({}));
  auto state = store_->source_state("ldap");
  ASSERT_TRUE(state);
  ASSERT_TRUE(state->has_value());
  EXPECT_EQ(**state, *source.resume_state());
}

}  // namespace
}  // namespace trustgate
