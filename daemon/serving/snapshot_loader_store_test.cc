// The API's pieces on a real Store file: snapshot loading (revision + manual associations +
// data_as_of) and the ticket/audit tables living beside the Store's own.
#include <gtest/gtest.h>

#include "daemon/handoff/audit_log.h"
#include "daemon/handoff/secret_digest.h"
#include "daemon/handoff/ticket_store.h"
#include "daemon/serving/snapshot.h"
#include "daemon/store/manual_association_store.h"
#include "daemon/store/store.h"
#include "daemon/testing/la_fixtures.h"

namespace trustgate {
namespace {

using namespace api_testing;

class SnapshotLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::open(dir_.file("tg.db"), clock_);
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
  }
  TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<Store> store_;
};

TEST_F(SnapshotLoaderTest, EmptyStoreLoadsNothingAndLeavesTheHolderEmpty) {
  auto s = load_serving_snapshot(*store_);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, nullptr);
  SnapshotHolder holder;
  ASSERT_TRUE(holder.reload(*store_));
  EXPECT_EQ(holder.get(), nullptr);
}

TEST_F(SnapshotLoaderTest, ReloadServesTheCurrentRevisionWithManualAssociations) {
  ApplyOptions opts;
  opts.sources = "ad";
  auto info = store_->apply(la_model(), opts);
  ASSERT_TRUE(info) << info.error().message;
  ASSERT_TRUE(store_->record_sync_success(1'800'000'123));
  StoreManualAssociations manual(*store_);
  ASSERT_TRUE(manual.add({"id-dave", AssociationKind::Institution, "100003", "ops", 1}));

  SnapshotHolder holder;
  ASSERT_TRUE(holder.reload(*store_));
  SnapshotPtr s = holder.get();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->revision().number, info->number);
  EXPECT_EQ(s->data_as_of(), 1'800'000'123);
  EXPECT_TRUE(s->decide(parse_user_key("dave"), "100003").allowed);
  EXPECT_TRUE(s->decide(parse_user_key("alice"), "100001").allowed);

  ASSERT_TRUE(manual.remove("id-dave", AssociationKind::Institution, "100003"));
  ASSERT_TRUE(holder.reload(*store_));
  EXPECT_FALSE(holder.get()->decide(parse_user_key("dave"), "100003").allowed);
}

// Tickets and audit rows live in <db>-handoffs.db; an older install kept them in the store's
// own file, beside its tables, which the store must still accept.
TEST_F(SnapshotLoaderTest, TicketsAndAuditTablesInTheStoreFileDoNotBreakTheStore) {
  auto opened = FileDb::open(dir_.file("tg.db"));
  ASSERT_TRUE(opened) << opened.error().message;
  FileDb& db = **opened;
  auto tickets = TicketStore::open(db);
  ASSERT_TRUE(tickets) << tickets.error().message;
  auto audit = AuditLog::open(db, clock_);
  ASSERT_TRUE(audit);
  TicketRecord r;
  r.hash_hex = to_hex(sha256("t"));
  r.user_id = "id-alice";
  r.institution = "100001";
  r.client = "mat-site";
  r.expires_at = 10;
  r.decision_id = "d";
  ASSERT_TRUE((*tickets)->insert(r));
  EXPECT_EQ((*tickets)->consume(r.hash_hex, 5)->outcome, ConsumeOutcome::Consumed);
  ASSERT_TRUE((*audit)->record({.decision_id = "d", .action = "issue"}));
  // The store still works and reopens (its schema checks accept the extra tables).
  ASSERT_TRUE(store_->apply(la_model(), {}));
  store_.reset();
  auto again = Store::open(dir_.file("tg.db"), clock_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*TicketStore::open(db))->consume(r.hash_hex, 6)->outcome,
            ConsumeOutcome::AlreadyConsumed);
}

}  // namespace
}  // namespace trustgate
