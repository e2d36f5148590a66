// HandoffService against an in-memory HandoffLedger: the service decides, the ledger records.
// (handoff_service_store_test.cc runs the same service on SQLite.) These show the contract a
// ledger backend must keep, and that the service holds no database of its own.
#include "daemon/handoff/handoff_service.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "daemon/handoff/secret_digest.h"
#include "daemon/testing/la_fixtures.h"

namespace trustgate {
namespace {

using namespace api_testing;

class MemoryLedger final : public HandoffLedger {
 public:
  Result<AuditRow> record_issue(const TicketRecord& ticket, const AuditEvent& issued) override {
    if (failing) return fail("store.io", "the ledger is down");
    tickets[ticket.hash_hex] = {ticket, false};
    return append(issued);
  }
  Result<std::optional<AuditRow>> record_redeem(const std::string& hash_hex, std::int64_t now,
                                                const Verdict& verdict) override {
    if (failing) return fail("store.io", "the ledger is down");
    ConsumeResult consumed;
    if (auto it = tickets.find(hash_hex); it != tickets.end()) {
      consumed.record = it->second.first;
      consumed.outcome =
          it->second.second ? ConsumeOutcome::AlreadyConsumed : ConsumeOutcome::Consumed;
      it->second.second = true;
      consumed.record->consumed_at = now;
    }
    const AuditEvent event = verdict(consumed);
    if (consumed.outcome != ConsumeOutcome::Consumed) failures.push_back(event);
    return std::optional<AuditRow>(append(event));
  }
  Result<void> record(const AuditEvent& event) override {
    append(event);
    return {};
  }
  Result<bool> record_failure(const AuditEvent& event) override {
    failures.push_back(event);
    append(event);
    return true;
  }
  Result<std::size_t> purge_expired(std::int64_t) override { return 0; }

  AuditRow append(const AuditEvent& e) {
    events.push_back(e);
    return {static_cast<std::int64_t>(events.size()), "h"};
  }

  bool failing = false;
  std::map<std::string, std::pair<TicketRecord, bool>> tickets;  // hash -> (record, burnt)
  std::vector<AuditEvent> events;
  std::vector<AuditEvent> failures;
};

class HandoffServiceLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override { holder_.set(la_snapshot()); }
  Result<IssueResult> issue(const std::string& user, const std::string& inst) {
    return service_.issue(*clients_.find("mat-site"), {user, inst, true, 1'799'999'900});
  }

  ManualClock clock_;
  SeededRandom random_{3};
  ClientRegistry clients_ = la_clients();
  SnapshotHolder holder_;
  MemoryLedger ledger_;
  HandoffService service_{holder_, ledger_, clock_, random_};
};

TEST_F(HandoffServiceLedgerTest, TheLedgerKeepsOnlyTheTicketsHashAndOneRowPerDecision) {
  auto t = issue("alice", "100002");
  ASSERT_TRUE(t && t->issued) << (t ? t->reason : t.error().message);
  ASSERT_EQ(ledger_.tickets.size(), 1u);
  const auto& [hash, stored] = *ledger_.tickets.begin();
  EXPECT_EQ(hash, to_hex(sha256(t->ticket)));  // never the ticket itself
  EXPECT_EQ(stored.first.user_id, "id-alice");
  EXPECT_EQ(stored.first.decision_id, t->decision_id);
  ASSERT_EQ(ledger_.events.size(), 1u);
  EXPECT_EQ(ledger_.events[0].action, "issue");
  EXPECT_TRUE(ledger_.events[0].allowed);

  RedeemResult r = service_.redeem(*clients_.find("birch"), t->ticket);
  EXPECT_TRUE(r.active) << r.reason;
  RedeemResult again = service_.redeem(*clients_.find("birch"), t->ticket);
  EXPECT_FALSE(again.active);
  EXPECT_EQ(again.reason, handoff_reason::kTicketReused);
  ASSERT_EQ(ledger_.events.size(), 3u);
  EXPECT_EQ(ledger_.events[1].decision_id, r.decision_id);
  EXPECT_TRUE(ledger_.events[1].allowed);
  EXPECT_EQ(ledger_.events[2].reason, handoff_reason::kTicketReused);
  EXPECT_EQ(ledger_.failures.size(), 1u);  // the replay went the rate-limited way
}

TEST_F(HandoffServiceLedgerTest, ALedgerFailureIssuesNothingAndRedeemsNothing) {
  auto t = issue("alice", "100002");
  ASSERT_TRUE(t && t->issued);
  ledger_.failing = true;
  auto failed = issue("alice", "100002");
  EXPECT_FALSE(failed);  // the site is told: nothing was stored, no ticket handed out
  RedeemResult r = service_.redeem(*clients_.find("birch"), t->ticket);
  EXPECT_FALSE(r.active);
  EXPECT_EQ(r.reason, handoff_reason::kStoreError);
  EXPECT_EQ(r.user, nullptr);
  ledger_.failing = false;
  EXPECT_TRUE(service_.redeem(*clients_.find("birch"), t->ticket).active);  // still unburnt
}

}  // namespace
}  // namespace trustgate
