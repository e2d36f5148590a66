#include "connectors/fake/fake_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <stop_token>
#include <thread>

namespace trustgate {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

// Long enough never to fire in a passing test; a hung wait fails the test only after it.
constexpr auto kGenerous = 30s;

DirectoryUser user(std::string id) {
  return DirectoryUser{.id = id, .dn = "uid=" + id + ",dc=x", .username = id};
}

DirectoryGroup group(std::string id) {
  return DirectoryGroup{.id = id, .dn = "cn=" + id + ",dc=x", .name = id};
}

TEST(FakeSourceTest, SnapshotReturnsTheContentsUnderItsName) {
  DirectorySnapshot initial;
  initial.users.push_back(user("a"));
  FakeSource source("fake", initial);
  EXPECT_EQ(source.name(), "fake");
  std::size_t progress = 0;
  auto s = source.snapshot([&](std::size_t n) { progress = n; });
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->source, "fake");
  ASSERT_EQ(s->users.size(), 1u);
  EXPECT_EQ(s->users[0].id, "a");
  EXPECT_EQ(progress, 1u);
  EXPECT_EQ(source.snapshot_calls(), 1u);
}

TEST(FakeSourceTest, AddAndRemoveUsersGroupsAndMembers) {
  FakeSource source("fake");
  source.add_user(user("a"));
  source.add_user(user("b"));
  auto renamed = user("a");
  renamed.display_name = "Renamed";
  source.add_user(renamed);  // same id: replaces
  source.add_group(group("g"));
  EXPECT_TRUE(source.add_member("g", "uid=a,dc=x"));
  EXPECT_FALSE(source.add_member("nope", "uid=a,dc=x"));

  auto s = source.snapshot();
  ASSERT_EQ(s->users.size(), 2u);
  EXPECT_EQ(s->users[0].display_name, "Renamed");
  ASSERT_EQ(s->groups.size(), 1u);
  EXPECT_THAT(s->groups[0].member_dns, ElementsAre("uid=a,dc=x"));

  EXPECT_TRUE(source.remove_member("g", "uid=a,dc=x"));
  EXPECT_FALSE(source.remove_member("g", "uid=a,dc=x"));
  EXPECT_TRUE(source.remove_user("b"));
  EXPECT_FALSE(source.remove_user("b"));
  EXPECT_TRUE(source.remove_group("g"));
  s = source.snapshot();
  EXPECT_EQ(s->users.size(), 1u);
  EXPECT_TRUE(s->groups.empty());
}

TEST(FakeSourceTest, SetSnapshotReplacesEverythingAndKeepsTheSourceName) {
  FakeSource source("fake");
  DirectorySnapshot other;
  other.source = "elsewhere";
  other.groups.push_back(group("g"));
  other.malformed_entries = 3;
  source.set_snapshot(other);
  auto s = source.snapshot();
  EXPECT_EQ(s->source, "fake");
  EXPECT_EQ(s->groups.size(), 1u);
  EXPECT_EQ(s->malformed_entries, 3u);
}

TEST(FakeSourceTest, WaitTimesOutWithoutChanges) {
  FakeSource source("fake");
  EXPECT_TRUE(source.supports_changes());
  (void)source.snapshot();
  auto changed = source.wait_for_changes(10ms, std::stop_token{});
  ASSERT_TRUE(changed.has_value());
  EXPECT_FALSE(*changed);
}

TEST(FakeSourceTest, ChangeSinceTheLastSnapshotIsReportedAtOnce) {
  FakeSource source("fake");
  (void)source.snapshot();
  source.add_user(user("a"));
  auto changed = source.wait_for_changes(kGenerous, std::stop_token{});
  ASSERT_TRUE(changed.has_value());
  EXPECT_TRUE(*changed);
  // Seen now: the next wait has nothing new.
  EXPECT_FALSE(*source.wait_for_changes(10ms, std::stop_token{}));
}

TEST(FakeSourceTest, SnapshotMarksChangesAsSeen) {
  FakeSource source("fake");
  source.add_user(user("a"));
  (void)source.snapshot();
  EXPECT_FALSE(*source.wait_for_changes(10ms, std::stop_token{}));
}

TEST(FakeSourceTest, ChangeFromAnotherThreadWakesAWaiter) {
  FakeSource source("fake");
  (void)source.snapshot();
  auto waiter = std::async(std::launch::async,
                           [&] { return source.wait_for_changes(kGenerous, std::stop_token{}); });
  std::this_thread::sleep_for(20ms);  // let it block (the test passes either way)
  const auto start = std::chrono::steady_clock::now();
  source.add_group(group("g"));
  auto changed = waiter.get();
  ASSERT_TRUE(changed.has_value());
  EXPECT_TRUE(*changed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, kGenerous);
}

TEST(FakeSourceTest, StopRequestEndsAWaitWithFalse) {
  FakeSource source("fake");
  (void)source.snapshot();
  std::stop_source stop;
  auto waiter = std::async(std::launch::async,
                           [&] { return source.wait_for_changes(kGenerous, stop.get_token()); });
  std::this_thread::sleep_for(20ms);
  const auto start = std::chrono::steady_clock::now();
  stop.request_stop();
  auto changed = waiter.get();
  ASSERT_TRUE(changed.has_value());
  EXPECT_FALSE(*changed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, kGenerous);
}

TEST(FakeSourceTest, AlreadyStoppedTokenReturnsAtOnce) {
  FakeSource source("fake");
  (void)source.snapshot();
  std::stop_source stop;
  stop.request_stop();
  auto changed = source.wait_for_changes(kGenerous, stop.get_token());
  ASSERT_TRUE(changed.has_value());
  EXPECT_FALSE(*changed);
}

TEST(FakeSourceTest, ResumeStateFollowsChangesAndRestoreIsRecorded) {
  FakeSource source("fake");
  const auto before = source.resume_state();
  source.add_user(user("a"));
  EXPECT_NE(source.resume_state(), before);
  EXPECT_EQ(source.restored_state(), std::nullopt);
  source.restore_state("cookie-1");
  EXPECT_EQ(source.restored_state(), "cookie-1");
}

}  // namespace
}  // namespace trustgate
