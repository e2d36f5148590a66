#include "daemon/handoff/ticket_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "daemon/handoff/secret_digest.h"
#include "daemon/testing/la_fixtures.h"

namespace trustgate {
namespace {

using namespace api_testing;

TicketRecord record(const std::string& ticket, std::int64_t expires_at = 1'800'000'030) {
  TicketRecord r;
  r.hash_hex = to_hex(sha256(ticket));
  r.user_id = "id-alice";
  r.institution = "100001";
  r.client = "mat-site";
  r.mfa = true;
  r.auth_time = 1'799'999'990;
  r.issued_at = 1'800'000'000;
  r.expires_at = expires_at;
  r.decision_id = "d1";
  return r;
}

class TicketStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = FileDb::open(dir_.file("tg.db"));
    ASSERT_TRUE(db);
    db_ = std::move(*db);
    auto store = TicketStore::open(*db_);
    ASSERT_TRUE(store);
    store_ = std::move(*store);
  }
  TempDir dir_;
  std::unique_ptr<FileDb> db_;
  std::unique_ptr<TicketStore> store_;
};

TEST_F(TicketStoreTest, OnlyTheHashIsStoredNeverTheTicket) {
  const std::string ticket = "Zm9vYmFyLXRpY2tldC12YWx1ZS10aGF0LWlzLXNlY3Jl";
  ASSERT_TRUE(store_->insert(record(ticket)));
  db_.reset();  // close, flush everything to the file
  store_.reset();
  std::string bytes;
  for (const auto& name : {"tg.db", "tg.db-wal", "tg.db-journal"}) {
    std::ifstream in(dir_.file(name), std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find(ticket), std::string::npos);
  EXPECT_NE(bytes.find(to_hex(sha256(ticket))), std::string::npos);
}

TEST_F(TicketStoreTest, ConsumesOnceThenReportsReuseAndUnknown) {
  ASSERT_TRUE(store_->insert(record("t1")));
  auto first = store_->consume(to_hex(sha256("t1")), 1'800'000'005);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->outcome, ConsumeOutcome::Consumed);
  ASSERT_TRUE(first->record);
  EXPECT_EQ(first->record->user_id, "id-alice");
  EXPECT_TRUE(first->record->mfa);
  EXPECT_EQ(first->record->consumed_at, 1'800'000'005);

  auto second = store_->consume(to_hex(sha256("t1")), 1'800'000'006);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->outcome, ConsumeOutcome::AlreadyConsumed);
  EXPECT_EQ(second->record->consumed_at, 1'800'000'005);

  auto unknown = store_->consume(to_hex(sha256("nope")), 1'800'000'006);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->outcome, ConsumeOutcome::Unknown);
}

TEST_F(TicketStoreTest, ExactlyOneOf200ConcurrentConsumersWins) {
  ASSERT_TRUE(store_->insert(record("contested")));
  std::atomic<int> wins{0}, reuses{0}, errors{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 200; ++i) {
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      auto r = store_->consume(to_hex(sha256("contested")), 1'800'000'001);
      if (!r) {
        ++errors;
      } else if (r->outcome == ConsumeOutcome::Consumed) {
        ++wins;
      } else if (r->outcome == ConsumeOutcome::AlreadyConsumed) {
        ++reuses;
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(reuses.load(), 199);
  EXPECT_EQ(errors.load(), 0);
}

TEST_F(TicketStoreTest, ConcurrentConsumersOnTwoConnectionsToOneFileStillHaveOneWinner) {
  ASSERT_TRUE(store_->insert(record("two-connections")));
  auto other_db = FileDb::open(dir_.file("tg.db"));
  ASSERT_TRUE(other_db);
  auto other = TicketStore::open(**other_db);
  ASSERT_TRUE(other);
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      TicketStore& s = i % 2 ? *store_ : **other;
      auto r = s.consume(to_hex(sha256("two-connections")), 1'800'000'001);
      if (r && r->outcome == ConsumeOutcome::Consumed) ++wins;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
}

TEST_F(TicketStoreTest, PurgeDeletesOnlyExpiredTickets) {
  ASSERT_TRUE(store_->insert(record("old", 1'800'000'010)));
  ASSERT_TRUE(store_->insert(record("new", 1'800'000'100)));
  auto purged = store_->purge_expired(1'800'000'050);
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1u);
  EXPECT_EQ(store_->consume(to_hex(sha256("old")), 1)->outcome, ConsumeOutcome::Unknown);
  EXPECT_EQ(store_->consume(to_hex(sha256("new")), 1)->outcome, ConsumeOutcome::Consumed);
}

}  // namespace
}  // namespace trustgate
