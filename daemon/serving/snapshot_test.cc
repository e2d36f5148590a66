#include "daemon/serving/snapshot.h"

#include <gtest/gtest.h>

#include <thread>

#include "daemon/testing/la_fixtures.h"

namespace trustgate {
namespace {

using namespace api_testing;

TEST(ServingSnapshot, FindsUsersByIdOrCaseInsensitiveUsername) {
  auto s = la_snapshot();
  ASSERT_TRUE(s->lookup(parse_user_key("id:id-alice")).user);
  EXPECT_EQ(s->lookup(parse_user_key("Alice")).user->id, "id-alice");
  EXPECT_EQ(s->lookup(parse_user_key("nobody")).user, nullptr);
  EXPECT_EQ(s->lookup(parse_user_key("")).user, nullptr);
}

TEST(ServingSnapshot, SharedUsernameIsAnsweredAsAmbiguous) {
  AccessModel m = la_model();
  User twin = m.users["id-alice"];
  twin.id = "id-alice-2";
  twin.username = "ALICE";
  m.users[twin.id] = twin;
  auto s = la_snapshot(1, m);
  EXPECT_EQ(s->lookup(parse_user_key("alice")).status, UserLookup::Status::Ambiguous);
  EXPECT_EQ(s->lookup(parse_user_key("alice")).user, nullptr);
  EXPECT_EQ(s->decide(parse_user_key("alice"), "100001").reason, reason::kAmbiguousUser);
  EXPECT_TRUE(s->decide(parse_user_key("id:id-alice-2"), "100001").allowed);
}

// A directory writer who sets their own uid to another user's stable id must not be taken for
// that user (issue 15: the snapshot resolved ids before usernames).
TEST(ServingSnapshot, UsernameSpellingAnotherUsersIdNamesOnlyItsOwner) {
  AccessModel m = la_model();
  User mallory;
  mallory.id = "id-mallory";
  mallory.username = "id-alice";  // alice's stable id, as a username
  m.users[mallory.id] = mallory;
  auto s = la_snapshot(1, m);
  const UserLookup by_name = s->lookup(parse_user_key("id-alice"));
  ASSERT_EQ(by_name.status, UserLookup::Status::Found);
  EXPECT_EQ(by_name.user->id, "id-mallory");
  EXPECT_FALSE(s->decide(parse_user_key("id-alice"), "100001").allowed);
  EXPECT_EQ(s->lookup(parse_user_key("ID-ALICE")).user->id, "id-mallory");
  EXPECT_EQ(s->lookup(parse_user_key("id:id-alice")).user->id, "id-alice");
  EXPECT_TRUE(s->decide(parse_user_key("id:id-alice"), "100001").allowed);
}

// Issue 14: username lookup was ASCII-only case-insensitive; the directory's is not.
TEST(ServingSnapshot, NonAsciiUsernameIsFoundInAnyCase) {
  AccessModel m = la_model();
  User zaneta = m.users["id-alice"];
  zaneta.id = "id-zaneta";
  zaneta.username = "Żaneta.Łęcka";
  m.users[zaneta.id] = zaneta;
  auto s = la_snapshot(1, m);
  for (const char* spelling : {"żaneta.łęcka", "ŻANETA.ŁĘCKA", "Żaneta.Łęcka"}) {
    const UserLookup found = s->lookup(parse_user_key(spelling));
    ASSERT_EQ(found.status, UserLookup::Status::Found) << spelling;
    EXPECT_EQ(found.user->id, "id-zaneta");
  }
  EXPECT_EQ(m.lookup(parse_user_key("ŻANETA.ŁĘCKA")).user->id, "id-zaneta");
}

TEST(ServingSnapshot, StableIdsAreNeverLookedUpAsUsernames) {
  auto s = la_snapshot();
  // alice's username is "alice"; "id:alice" names a stable id "alice", which nobody has.
  EXPECT_EQ(s->lookup(parse_user_key("id:alice")).status, UserLookup::Status::Unknown);
  EXPECT_EQ(s->find_user_by_id("alice"), nullptr);
  // Ids compare exactly: no case folding.
  EXPECT_EQ(s->lookup(parse_user_key("id:ID-ALICE")).status, UserLookup::Status::Unknown);
}

TEST(ServingSnapshot, ServesManualAssociationsMergedIn) {
  ManualAssociation extra{"id-dave", AssociationKind::Institution, "100003", "ops", 1};
  auto s = la_snapshot(3, la_model(), {extra});
  Decision d = s->decide(parse_user_key("dave"), "100003");
  EXPECT_TRUE(d.allowed);
  ASSERT_TRUE(d.association_via);
  EXPECT_EQ(d.association_via->via->kind, Provenance::Kind::Manual);
  EXPECT_EQ(s->revision().number, 3);
}

TEST(SnapshotHolder, EmptyUntilSetAndReadersKeepTheirSnapshotAcrossASwap) {
  SnapshotHolder holder;
  EXPECT_EQ(holder.get(), nullptr);
  holder.set(la_snapshot(1));
  SnapshotPtr reader = holder.get();
  holder.set(la_snapshot(2));
  EXPECT_EQ(reader->revision().number, 1);
  EXPECT_EQ(holder.get()->revision().number, 2);
}

TEST(SnapshotHolder, ConcurrentReadersAlwaysSeeAWholeSnapshot) {
  SnapshotHolder holder;
  holder.set(la_snapshot(0));
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop) {
        SnapshotPtr s = holder.get();
        if (!s || s->model().users.size() != 5) ++bad;
      }
    });
  }
  for (int rev = 1; rev < 200; ++rev) holder.set(la_snapshot(rev));
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace trustgate
