#include "daemon/handoff/group_commit_db.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <atomic>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "daemon/testing/la_fixtures.h"

namespace trustgate {
namespace {

using namespace api_testing;

class GroupCommitDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = GroupCommitDb::open(dir_.file("tg.db"));
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    db_->run([](SQLite::Database& c) {
      c.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
    });
  }
  static void insert(SQLite::Database& c, const std::string& name) {
    SQLite::Statement q(c, "INSERT INTO t (name) VALUES (?)");
    q.bind(1, name);
    q.exec();
  }
  // The committed names, read on a connection of its own.
  std::set<std::string> committed_names() const {
    SQLite::Database other(dir_.file("tg.db"), SQLite::OPEN_READONLY);
    SQLite::Statement q(other, "SELECT name FROM t");
    std::set<std::string> names;
    while (q.executeStep()) names.insert(q.getColumn(0).getString());
    return names;
  }
  TempDir dir_;
  std::unique_ptr<GroupCommitDb> db_;
};

TEST_F(GroupCommitDbTest, ConnectionFsyncsEveryCommit) {
  int synchronous = -1;
  db_->run([&](SQLite::Database& c) { synchronous = c.execAndGet("PRAGMA synchronous").getInt(); });
  EXPECT_EQ(synchronous, 2);  // FULL
}

TEST_F(GroupCommitDbTest, ManyThreadsSubmittingAreAllCommittedAndEachSeesItsOwnResult) {
  constexpr int kThreads = 16, kEach = 40;
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0}, errors{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string name = fmt::format("{}-{}", t, i);
        std::string read_back;
        try {
          db_->run([&](SQLite::Database& c) {
            insert(c, name);
            SQLite::Statement q(c, "SELECT name FROM t WHERE id = last_insert_rowid()");
            if (q.executeStep()) read_back = q.getColumn(0).getString();
          });
        } catch (const std::exception&) {
          ++errors;
        }
        if (read_back != name) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
  const auto names = committed_names();
  EXPECT_EQ(names.size(), static_cast<std::size_t>(kThreads * kEach));
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) EXPECT_TRUE(names.contains(fmt::format("{}-{}", t, i)));
  }
  EXPECT_LE(db_->batches(), static_cast<std::uint64_t>(kThreads * kEach) + 1);
}

TEST_F(GroupCommitDbTest, QueuedOperationsShareOneCommitAndAFailingOneLosesOnlyItsOwnWrites) {
  constexpr std::size_t kOps = 12;
  const std::uint64_t before = db_->batches();
  // The holder occupies the writer until all kOps are queued: they then form one batch.
  std::atomic<bool> holding{false};
  std::thread holder([&] {
    db_->run([&](SQLite::Database& c) {
      insert(c, "holder");
      holding = true;
      while (db_->queued() < kOps) std::this_thread::yield();
    });
  });
  while (!holding) std::this_thread::yield();
  std::vector<std::thread> threads;
  std::vector<std::string> outcome(kOps);
  for (std::size_t i = 0; i < kOps; ++i) {
    threads.emplace_back([&, i] {
      try {
        db_->run([&](SQLite::Database& c) {
          insert(c, fmt::format("op-{}", i));
          if (i % 3 == 1) throw std::runtime_error(fmt::format("op {} fails", i));
          if (i % 3 == 2) insert(c, "holder");  // UNIQUE violation: SQLite's own error
        });
        outcome[i] = "ok";
      } catch (const SQLite::Exception& e) {
        outcome[i] = "sqlite";
      } catch (const std::exception& e) {
        outcome[i] = e.what();
      }
    });
  }
  holder.join();
  for (auto& t : threads) t.join();

  EXPECT_EQ(db_->batches(), before + 2);  // the holder's, then all kOps in one
  const auto names = committed_names();
  EXPECT_TRUE(names.contains("holder"));
  for (std::size_t i = 0; i < kOps; ++i) {
    const std::string expected =
        i % 3 == 0 ? "ok" : (i % 3 == 1 ? fmt::format("op {} fails", i) : "sqlite");
    EXPECT_EQ(outcome[i], expected) << i;
    // A failed operation's first insert is rolled back with it; the others are committed.
    EXPECT_EQ(names.contains(fmt::format("op-{}", i)), i % 3 == 0) << i;
  }
}

TEST_F(GroupCommitDbTest, WhenTheTransactionCannotStartEveryCallerOfTheBatchGetsTheError) {
  // Reopen with a short busy timeout, and let another connection hold the write lock.
  db_.reset();
  auto db = GroupCommitDb::open(dir_.file("tg.db"), 50);
  ASSERT_TRUE(db);
  db_ = std::move(*db);
  auto blocker = std::make_unique<SQLite::Database>(dir_.file("tg.db"), SQLite::OPEN_READWRITE);
  blocker->exec("BEGIN IMMEDIATE");

  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      try {
        db_->run([&](SQLite::Database& c) { insert(c, fmt::format("blocked-{}", i)); });
      } catch (const std::exception&) {
        ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 6);

  blocker->exec("ROLLBACK");
  blocker.reset();
  db_->run([&](SQLite::Database& c) { insert(c, "after"); });  // the writer recovers
  EXPECT_EQ(committed_names(), (std::set<std::string>{"after"}));
}

TEST_F(GroupCommitDbTest, WhatIsQueuedAtCloseIsStillCommitted) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      db_->run([&](SQLite::Database& c) { insert(c, fmt::format("late-{}", i)); });
      ++ok;
    });
  }
  for (auto& t : threads) t.join();
  db_.reset();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(committed_names().size(), 8u);
}

}  // namespace
}  // namespace trustgate
