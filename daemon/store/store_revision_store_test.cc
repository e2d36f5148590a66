// Store::Revision: a revision written user by user while its model is still being made, then
// committed; or abandoned, leaving nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "daemon/store/store.h"
#include "daemon/store/store_model_compare.h"
#include "daemon/testing/store_test_support.h"
#include "daemon/testing/synthetic_model.h"

namespace trustgate {
namespace {

using store_test::load_model;
using store_test::open_ok;
using store_test::options;
using store_test::TempDir;
using store_test::total_changes;

std::vector<UserMap::Ptr> users_of(const AccessModel& model) {
  std::vector<UserMap::Ptr> out;
  for (const auto& [id, user] : model.users.entries()) out.push_back(user);
  return out;
}

// Gives `users` to `revision` in chunks of `chunk`, as a full sync does while mapping.
void add_in_chunks(Store::Revision& revision, const std::vector<UserMap::Ptr>& users,
                   std::size_t chunk) {
  for (std::size_t at = 0; at < users.size(); at += chunk) {
    const std::size_t n = std::min(chunk, users.size() - at);
    revision.add_users(std::span<const UserMap::Ptr>(users.data() + at, n));
  }
}

// A revision of `store` given `users` in chunks, then committed with `model`.
Result<RevisionInfo> write_and_commit(Store& store, const std::vector<UserMap::Ptr>& users,
                                      std::shared_ptr<const AccessModel> model, std::size_t chunk) {
  auto revision = store.begin_revision();
  if (!revision) return std::unexpected(revision.error());
  add_in_chunks(**revision, users, chunk);
  return (*revision)->commit(std::move(model), options("ad", "streamed"));
}

class StoreRevisionTest : public ::testing::Test {
 protected:
  TempDir dir_;
  ManualClock clock_;
  std::string path_ = dir_.file("trustgate.db");
};

TEST_F(StoreRevisionTest, ChunksThenCommitGiveTheSameFileAsOneApply) {
  auto model = std::make_shared<const AccessModel>(
      synthetic_model({.users = 3000, .institutions = 40, .clusters = 4}));
  auto applied = open_ok(dir_.file("applied.db"), clock_);
  ASSERT_TRUE(applied);
  auto by_apply = applied->apply(*model, options("ad", "initial"));
  ASSERT_TRUE(by_apply) << by_apply.error().message;

  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  auto revision = store->begin_revision();
  ASSERT_TRUE(revision) << revision.error().message;
  add_in_chunks(**revision, users_of(*model), 700);
  auto committed = (*revision)->commit(model, options("ad", "initial"));
  ASSERT_TRUE(committed) << committed.error().message;
  EXPECT_EQ(committed->number, 1);
  EXPECT_EQ(committed->users, 3000u);
  EXPECT_EQ(committed->grants, by_apply->grants);

  // The store serves the committed model itself, and the file holds exactly it.
  auto current = store->current_model();
  ASSERT_TRUE(current && *current);
  EXPECT_EQ(current->get(), model.get());
  auto fresh = open_ok(path_, clock_);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(first_difference(load_model(*fresh), *model), "");
  EXPECT_EQ(first_difference(load_model(*fresh), load_model(*applied)), "");
}

TEST_F(StoreRevisionTest, AnAbandonedRevisionLeavesNothingAndReleasesTheStore) {
  AccessModel model = synthetic_model({.users = 500});
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  {
    auto revision = store->begin_revision();
    ASSERT_TRUE(revision);
    add_in_chunks(**revision, users_of(model), 100);
  }  // destroyed without commit()
  EXPECT_FALSE(store->current_info().value().has_value());
  auto fresh = open_ok(path_, clock_);  // another connection sees no user row either
  ASSERT_TRUE(fresh);
  fresh->with_db([](SQLite::Database& db) {
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM users").getInt(), 0);
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM provenances").getInt(), 0);
  });
  // The lock is free and the provenance ids of the rolled-back rows are forgotten: a later
  // apply writes every row it needs.
  ASSERT_TRUE(store->apply(model, options("ad", "after")));
  EXPECT_EQ(first_difference(load_model(*fresh), model), "");
}

TEST_F(StoreRevisionTest, CommitRefusesAModelWhoseUsersWereNotAllWritten) {
  auto model = std::make_shared<const AccessModel>(synthetic_model({.users = 200}));
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  auto users = users_of(*model);
  users.pop_back();  // the last user never written
  auto committed = write_and_commit(*store, users, model, 64);
  ASSERT_FALSE(committed);
  EXPECT_EQ(committed.error().code, "store.invalid");
  EXPECT_FALSE(store->current_info().value().has_value());
}

TEST_F(StoreRevisionTest, UsersOutOfIdOrderAreRefusedAtCommit) {
  auto model = std::make_shared<const AccessModel>(synthetic_model({.users = 50}));
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  auto users = users_of(*model);
  std::swap(users[10], users[11]);
  auto committed = write_and_commit(*store, users, model, 50);
  ASSERT_FALSE(committed);
  EXPECT_EQ(committed.error().code, "store.invalid");
  EXPECT_NE(committed.error().message.find("increasing id order"), std::string::npos)
      << committed.error().message;
  EXPECT_FALSE(store->current_info().value().has_value());
}

TEST_F(StoreRevisionTest, ACommittedOrAbandonedRevisionCannotBeCommittedAgain) {
  auto model = std::make_shared<const AccessModel>(synthetic_model({.users = 20}));
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  auto revision = store->begin_revision();
  ASSERT_TRUE(revision);
  add_in_chunks(**revision, users_of(*model), 8);
  ASSERT_TRUE((*revision)->commit(model, options("ad", "once")));
  auto again = (*revision)->commit(model, options("ad", "twice"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "store.invalid");
  EXPECT_EQ(store->current_info().value()->number, 1);
}

TEST_F(StoreRevisionTest, OverAnExistingRevisionOnlyTheDifferenceIsWritten) {
  AccessModel first = synthetic_model({.users = 2000});
  auto store = open_ok(path_, clock_);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->apply(first, options("ad", "initial")));
  // The next model: one user gone, one changed, one new; the others the same values in new
  // objects (as a full mapping pass makes them).
  AccessModel next_model = first;
  next_model.users.erase(std::next(next_model.users.begin(), 5)->first);
  next_model.users[std::next(next_model.users.begin(), 9)->first].enabled = false;
  User added;
  added.id = "zz-new-user";
  added.username = "new";
  next_model.users[added.id] = added;
  next_model.users.for_each_mutable([](const std::string&, User&) {});  // all new objects
  auto next = std::make_shared<const AccessModel>(std::move(next_model));

  const int before = total_changes(*store);
  auto revision = store->begin_revision();
  ASSERT_TRUE(revision);
  add_in_chunks(**revision, users_of(*next), 333);
  ASSERT_TRUE((*revision)->commit(next, options("ad", "users -1 ~1 +1")));
  EXPECT_LT(total_changes(*store) - before, 30) << "rows written for a three-user change";
  auto fresh = open_ok(path_, clock_);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(first_difference(load_model(*fresh), *next), "");
}

}  // namespace
}  // namespace trustgate
