#include "connectors/fake/faulty_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <stop_token>

#include "connectors/fake/fake_source.h"

namespace trustgate {
namespace {

using namespace std::chrono_literals;

DirectorySnapshot sample() {
  DirectorySnapshot s;
  s.users.push_back(DirectoryUser{.id = "u1", .dn = "uid=a,dc=x", .username = "a"});
  s.users.push_back(DirectoryUser{.id = "u2", .dn = "uid=b,dc=x", .username = "b"});
  s.groups.push_back(DirectoryGroup{.id = "g1", .dn = "cn=Staff-100001,ou=g,dc=x", .name = "s1"});
  s.groups.push_back(DirectoryGroup{.id = "g2", .dn = "cn=Staff-100002,ou=g,dc=x", .name = "s2"});
  return s;
}

bool has_group(const DirectorySnapshot& s, std::string_view id) {
  return std::ranges::find(s.groups, id, &DirectoryGroup::id) != s.groups.end();
}

class FaultySourceTest : public ::testing::Test {
 protected:
  FakeSource fake_{"fake", sample()};
  FaultySource faulty_{fake_};
};

TEST_F(FaultySourceTest, PassesThroughWithoutFaults) {
  EXPECT_EQ(faulty_.name(), "fake");
  EXPECT_TRUE(faulty_.supports_changes());
  auto s = faulty_.snapshot();
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->users.size(), 2u);
  EXPECT_EQ(s->groups.size(), 2u);
}

TEST_F(FaultySourceTest, FailsTheNextNSnapshotsThenRecovers) {
  faulty_.fail_next_snapshots(2, Error{"ldap.connect", "down"});
  for (int i = 0; i < 2; ++i) {
    auto s = faulty_.snapshot();
    ASSERT_FALSE(s.has_value());
    EXPECT_EQ(s.error().code, "ldap.connect");
  }
  EXPECT_EQ(fake_.snapshot_calls(), 0u);  // the inner source was never reached
  auto s = faulty_.snapshot();
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->users.size(), 2u);
  EXPECT_EQ(faulty_.snapshot_calls(), 3u);
}

TEST_F(FaultySourceTest, ReturnsEmptySnapshots) {
  faulty_.empty_next_snapshots(1);
  auto empty = faulty_.snapshot();
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->source, "fake");
  EXPECT_TRUE(empty->users.empty());
  EXPECT_TRUE(empty->groups.empty());
  EXPECT_EQ(faulty_.snapshot()->users.size(), 2u);
}

TEST_F(FaultySourceTest, DropsAGroupByIdUntilRestored) {
  faulty_.drop_group("g1");
  for (int i = 0; i < 2; ++i) {
    auto s = faulty_.snapshot();
    EXPECT_FALSE(has_group(*s, "g1"));
    EXPECT_TRUE(has_group(*s, "g2"));
  }
  faulty_.restore_group("g1");
  EXPECT_TRUE(has_group(*faulty_.snapshot(), "g1"));
}

TEST_F(FaultySourceTest, DropsAGroupByDnComparedNormalized) {
  faulty_.drop_group("CN=Staff-100002, OU=G, DC=X");
  auto s = faulty_.snapshot();
  EXPECT_TRUE(has_group(*s, "g1"));
  EXPECT_FALSE(has_group(*s, "g2"));
}

TEST_F(FaultySourceTest, DropsAUser) {
  faulty_.drop_user("u2");
  auto s = faulty_.snapshot();
  ASSERT_EQ(s->users.size(), 1u);
  EXPECT_EQ(s->users[0].id, "u1");
}

TEST_F(FaultySourceTest, FailsWaitsThenDelegates) {
  faulty_.fail_next_waits(1);
  auto broken = faulty_.wait_for_changes(10ms, std::stop_token{});
  ASSERT_FALSE(broken.has_value());
  EXPECT_EQ(broken.error().code, "directory.stream");

  (void)faulty_.snapshot();
  fake_.add_user(DirectoryUser{.id = "u3", .dn = "uid=c,dc=x", .username = "c"});
  auto changed = faulty_.wait_for_changes(30s, std::stop_token{});
  ASSERT_TRUE(changed.has_value());
  EXPECT_TRUE(*changed);
}

TEST_F(FaultySourceTest, ClearFaultsRemovesEveryFault) {
  faulty_.fail_next_snapshots(5);
  faulty_.empty_next_snapshots(5);
  faulty_.drop_group("g1");
  faulty_.drop_user("u1");
  faulty_.fail_next_waits(5);
  faulty_.clear_faults();
  auto s = faulty_.snapshot();
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->users.size(), 2u);
  EXPECT_EQ(s->groups.size(), 2u);
  EXPECT_TRUE(faulty_.wait_for_changes(10ms, std::stop_token{}).has_value());
}

TEST(FaultySourceOwningTest, OwnsItsInnerSourceAndForwardsResumeState) {
  auto fake = std::make_unique<FakeSource>("owned", sample());
  FakeSource* inner = fake.get();
  FaultySource faulty(std::move(fake));
  EXPECT_EQ(faulty.name(), "owned");
  EXPECT_EQ(faulty.resume_state(), inner->resume_state());
  faulty.restore_state("cookie");
  EXPECT_EQ(inner->restored_state(), "cookie");
  EXPECT_EQ(faulty.snapshot()->groups.size(), 2u);
}

}  // namespace
}  // namespace trustgate
