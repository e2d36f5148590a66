#include "daemon/api/snapshot.h"

#include <gtest/gtest.h>

#include <thread>

#include "daemon/api/api_test_fixtures.h"

namespace trustgate {
namespace {

using namespace api_testing;

TEST(ServingSnapshot, FindsUsersByIdOrCaseInsensitiveUsername) {
  auto s = la_snapshot();
  ASSERT_TRUE(s->find_user("id-alice"));
  EXPECT_EQ(s->find_user("Alice")->id, "id-alice");
  EXPECT_EQ(s->find_user("nobody"), nullptr);
  EXPECT_EQ(s->find_user(""), nullptr);
}

TEST(ServingSnapshot, SharedUsernameIsAmbiguousAndUnknown) {
  AccessModel m = la_model();
  User twin = m.users["id-alice"];
  twin.id = "id-alice-2";
  twin.username = "ALICE";
  m.users[twin.id] = twin;
  auto s = la_snapshot(1, m);
  EXPECT_EQ(s->find_user("alice"), nullptr);
  EXPECT_EQ(s->decide("alice", "100001").reason, reason::kUnknownUser);
  EXPECT_TRUE(s->decide("id-alice-2", "100001").allowed);
}

TEST(ServingSnapshot, ServesManualAssociationsMergedIn) {
  ManualAssociation extra{"id-dave", AssociationKind::Institution, "100003", "ops", 1};
  auto s = la_snapshot(3, la_model(), {extra});
  Decision d = s->decide("dave", "100003");
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
