#include "daemon/handoff/handoff_service.h"
#include "daemon/handoff/sqlite_handoff_ledger.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "daemon/handoff/group_commit_db.h"
#include "daemon/handoff/secret_digest.h"
#include "daemon/testing/la_fixtures.h"

namespace trustgate {
namespace {

using namespace api_testing;
using std::chrono::seconds;

class HandoffServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(*GroupCommitDb::open(dir_.file("tg.db")));  // as the daemon
    tickets_ = std::move(*TicketStore::open(*db_));
    audit_ = std::move(*AuditLog::open(*db_, clock_));
    holder_.set(la_snapshot());
    ledger_ = std::make_unique<SqliteHandoffLedger>(*tickets_, *audit_);
    service_ = std::make_unique<HandoffService>(holder_, *ledger_, clock_, random_);
  }
  IssueResult issue(std::string user, std::string inst, bool mfa = false) {
    auto r = service_->issue(*clients_.find("mat-site"),
                             {std::move(user), std::move(inst), mfa, 1'799'999'900});
    EXPECT_TRUE(r);
    return *r;
  }
  RedeemResult redeem(const std::string& client, const std::string& ticket) {
    return service_->redeem(*clients_.find(client), ticket);
  }
  AuditEvent last_audit() { return log_of(1).at(0); }
  std::vector<AuditEvent> log_of(std::size_t n) {
    AuditQuery q;
    q.limit = n;
    return *audit_->query(q);
  }

  TempDir dir_;
  ManualClock clock_;
  SeededRandom random_{42};
  ClientRegistry clients_ = la_clients();
  SnapshotHolder holder_;
  std::unique_ptr<GroupCommitDb> db_;
  std::unique_ptr<TicketStore> tickets_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<SqliteHandoffLedger> ledger_;
  std::unique_ptr<HandoffService> service_;
};

TEST_F(HandoffServiceTest, IssueThenRedeemAnswersWhoTheUserIsAndHowAccessWasGranted) {
  IssueResult t = issue("alice", "100002", true);
  ASSERT_TRUE(t.issued) << t.reason;
  EXPECT_EQ(t.ticket.size(), 43u);
  EXPECT_EQ(t.redirect_url, "https://birch.example/mis");
  EXPECT_EQ(t.redirect_url.find(t.ticket), std::string::npos);
  EXPECT_EQ(t.expires_at, unix_seconds(clock_.now()) + 30);
  EXPECT_EQ(t.decision_id.size(), 32u);

  RedeemResult r = redeem("birch", t.ticket);
  ASSERT_TRUE(r.active) << r.reason;
  EXPECT_EQ(r.user->id, "id-alice");
  EXPECT_EQ(r.institution->id, "100002");
  ASSERT_TRUE(r.decision.association_via);
  EXPECT_EQ(r.decision.association_via->kind, AssociationKind::Cluster);
  EXPECT_EQ(r.decision.association_via->target, "primaries");
  EXPECT_TRUE(r.mfa);
  EXPECT_TRUE(r.skip_second_factor);  // when_mfa + mfa
  EXPECT_EQ(r.auth_time, 1'799'999'900);
  EXPECT_NE(r.decision_id, t.decision_id);
}

TEST_F(HandoffServiceTest, SkipSecondFactorFollowsTheSchoolPolicy) {
  // 100002 is when_mfa: no MFA at the MAT site -> the school asks for its second factor.
  RedeemResult no_mfa = redeem("birch", issue("alice", "100002", false).ticket);
  ASSERT_TRUE(no_mfa.active);
  EXPECT_FALSE(no_mfa.skip_second_factor);
  // 100001 is always.
  RedeemResult always = redeem("alder", issue("alice", "100001", false).ticket);
  ASSERT_TRUE(always.active);
  EXPECT_TRUE(always.skip_second_factor);
}

TEST_F(HandoffServiceTest, EveryDenialReasonIsReportedAndAudited) {
  const std::vector<std::pair<std::pair<std::string, std::string>, std::string_view>> cases = {
      {{"nobody", "100001"}, reason::kUnknownUser},
      {{"carol", "100001"}, reason::kUserDisabled},
      {{"bob", "100001"}, reason::kNoLoginPermission},
      {{"alice", "999999"}, reason::kUnknownInstitution},
      {{"alice", "100003"}, reason::kNotAssociated},
      {{"dave", "100001"}, reason::kNotAssociated},
  };
  for (const auto& [req, want] : cases) {
    IssueResult r = issue(req.first, req.second);
    EXPECT_FALSE(r.issued) << req.first;
    EXPECT_TRUE(r.ticket.empty());
    EXPECT_EQ(r.reason, want) << req.first;
    AuditEvent a = last_audit();
    EXPECT_EQ(a.action, "issue");
    EXPECT_FALSE(a.allowed);
    EXPECT_EQ(a.reason, want);
    EXPECT_EQ(a.decision_id, r.decision_id);
  }
}

TEST_F(HandoffServiceTest, NotReadyWithoutASnapshot) {
  holder_.set(nullptr);
  EXPECT_EQ(issue("alice", "100001").reason, handoff_reason::kNotReady);
}

TEST_F(HandoffServiceTest, UsernameIsResolvedCaseInsensitivelyAndTheTicketNamesTheStableId) {
  IssueResult t = issue("ALICE", "100001");
  ASSERT_TRUE(t.issued);
  EXPECT_EQ(last_audit().user, "id-alice");
  EXPECT_EQ(redeem("alder", t.ticket).user->id, "id-alice");
}

TEST_F(HandoffServiceTest, ExpiredTicketIsNotActive) {
  IssueResult t = issue("alice", "100001");
  clock_.advance(seconds(30));
  RedeemResult r = redeem("alder", t.ticket);
  EXPECT_FALSE(r.active);
  EXPECT_EQ(r.reason, handoff_reason::kTicketExpired);
  EXPECT_EQ(last_audit().reason, handoff_reason::kTicketExpired);
}

TEST_F(HandoffServiceTest, TicketIsStillGoodJustBeforeExpiry) {
  IssueResult t = issue("alice", "100001");
  clock_.advance(seconds(29));
  EXPECT_TRUE(redeem("alder", t.ticket).active);
}

TEST_F(HandoffServiceTest, TtlIsConfigurableButCappedAtFiveMinutes) {
  HandoffService long_lived(holder_, *ledger_, clock_, random_, {.ttl_seconds = 3600});
  EXPECT_EQ(long_lived.ttl_seconds(), 300);
  auto t = long_lived.issue(*clients_.find("mat-site"), {"alice", "100001", false, 1'799'999'900});
  ASSERT_TRUE(t && t->issued);
  EXPECT_EQ(t->expires_at, unix_seconds(clock_.now()) + 300);
}

TEST_F(HandoffServiceTest, WrongSchoolCannotRedeemAndBurnsTheTicket) {
  IssueResult t = issue("alice", "100001");
  RedeemResult wrong = redeem("birch", t.ticket);
  EXPECT_FALSE(wrong.active);
  EXPECT_EQ(wrong.reason, handoff_reason::kWrongInstitution);
  // Burnt: the right school can't use it afterwards either.
  RedeemResult right = redeem("alder", t.ticket);
  EXPECT_FALSE(right.active);
  EXPECT_EQ(right.reason, handoff_reason::kTicketReused);
}

TEST_F(HandoffServiceTest, SecondRedeemOfTheSameTicketIsNotActive) {
  IssueResult t = issue("alice", "100001");
  EXPECT_TRUE(redeem("alder", t.ticket).active);
  RedeemResult again = redeem("alder", t.ticket);
  EXPECT_FALSE(again.active);
  EXPECT_EQ(again.reason, handoff_reason::kTicketReused);
}

TEST_F(HandoffServiceTest, RevocationBetweenIssueAndRedeemWins) {
  IssueResult t = issue("alice", "100001");
  AccessModel revoked = la_model();
  revoked.users["id-alice"].associations.clear();
  holder_.set(la_snapshot(2, revoked));
  RedeemResult r = redeem("alder", t.ticket);
  EXPECT_FALSE(r.active);
  EXPECT_EQ(r.reason, reason::kNotAssociated);
  AuditEvent a = last_audit();
  EXPECT_EQ(a.action, "redeem");
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.reason, reason::kNotAssociated);
  EXPECT_EQ(a.user, "id-alice");
}

TEST_F(HandoffServiceTest, DisabledBetweenIssueAndRedeemIsNotActive) {
  IssueResult t = issue("alice", "100001");
  AccessModel disabled = la_model();
  disabled.users["id-alice"].enabled = false;
  holder_.set(la_snapshot(2, disabled));
  EXPECT_EQ(redeem("alder", t.ticket).reason, reason::kUserDisabled);
}

TEST_F(HandoffServiceTest, UnknownAndMalformedTicketsAreNotActive) {
  EXPECT_EQ(redeem("alder", std::string(43, 'A')).reason, handoff_reason::kUnknownTicket);
  EXPECT_EQ(redeem("alder", "short").reason, handoff_reason::kMalformedTicket);
  EXPECT_EQ(redeem("alder", std::string(43, '!')).reason, handoff_reason::kMalformedTicket);
}

TEST_F(HandoffServiceTest, AuditNeverContainsTheTicket) {
  IssueResult t = issue("alice", "100001");
  redeem("birch", t.ticket);
  for (const auto& e : log_of(100)) {
    for (const auto* f : {&e.decision_id, &e.client, &e.user, &e.institution, &e.reason}) {
      EXPECT_EQ(f->find(t.ticket), std::string::npos);
    }
  }
}

TEST_F(HandoffServiceTest, ExpiredTicketsArePurgedDuringLaterIssues) {
  IssueResult old = issue("alice", "100001");  // first issue purges (nothing) and arms the timer
  clock_.advance(seconds(120));
  issue("alice", "100001");  // purge interval passed: the old ticket is deleted
  EXPECT_EQ(redeem("alder", old.ticket).reason, handoff_reason::kUnknownTicket);
}

TEST_F(HandoffServiceTest, TicketsAndDecisionIdsDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    IssueResult t = issue("alice", "100001");
    EXPECT_TRUE(seen.insert(t.ticket).second);
    EXPECT_TRUE(seen.insert(t.decision_id).second);
  }
}

TEST_F(HandoffServiceTest, ConcurrentRedeemsOfOneTicketHaveOneWinnerAndAreAllAudited) {
  IssueResult t = issue("alice", "100001");
  constexpr int kThreads = 40;
  std::atomic<int> active{0}, reused{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      while (!go) std::this_thread::yield();
      RedeemResult r = redeem("alder", t.ticket);
      if (r.active) ++active;
      if (r.reason == handoff_reason::kTicketReused) ++reused;
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(active.load(), 1);
  EXPECT_EQ(reused.load(), kThreads - 1);
  // The reuses of one second beyond the rate limit are counted in one summary row.
  clock_.advance(seconds(1));
  ASSERT_TRUE(audit_->flush_suppressed());
  const auto events = log_of(1000);
  std::int64_t accounted = 0;
  int granted = 0;
  for (const auto& e : events) {
    accounted += e.events;
    granted += e.action == "redeem" && e.allowed;
  }
  EXPECT_EQ(accounted, kThreads + 1);  // the issue, every redeem
  EXPECT_EQ(granted, 1);
}

TEST_F(HandoffServiceTest, ARedeemWhoseAuditRowCannotBeWrittenIsNotActiveAndBurnsNothing) {
  IssueResult t = issue("alice", "100001");
  {  // Break the audit table behind the service's back.
    SQLite::Database side(dir_.file("tg.db"), SQLite::OPEN_READWRITE);
    side.exec("ALTER TABLE audit_log RENAME TO audit_log_gone");
  }
  RedeemResult r = redeem("alder", t.ticket);
  EXPECT_FALSE(r.active);
  EXPECT_EQ(r.reason, handoff_reason::kStoreError);
  // The burn was rolled back with the missing audit row: no half-done redeem is stored.
  {
    SQLite::Database side(dir_.file("tg.db"), SQLite::OPEN_READWRITE);
    EXPECT_TRUE(side.execAndGet("SELECT consumed_at FROM handoff_tickets").isNull());
    side.exec("ALTER TABLE audit_log_gone RENAME TO audit_log");
  }
  EXPECT_TRUE(redeem("alder", t.ticket).active);
  EXPECT_EQ(last_audit().action, "redeem");
  EXPECT_TRUE(last_audit().allowed);
}

TEST_F(HandoffServiceTest, AnIssueWhoseAuditRowCannotBeWrittenStoresNoTicket) {
  {
    SQLite::Database side(dir_.file("tg.db"), SQLite::OPEN_READWRITE);
    side.exec("ALTER TABLE audit_log RENAME TO audit_log_gone");
  }
  auto r = service_->issue(*clients_.find("mat-site"), {"alice", "100001", false, 1'799'999'900});
  EXPECT_FALSE(r);
  SQLite::Database side(dir_.file("tg.db"), SQLite::OPEN_READWRITE);
  EXPECT_EQ(side.execAndGet("SELECT count(*) FROM handoff_tickets").getInt(), 0);
}

// Issue 15 item 7: every malformed redeem wrote an fsynced audit row.
TEST_F(HandoffServiceTest, AFloodOfMalformedRedeemsDoesNotWriteAnAuditRowEach) {
  const auto batches = db_->batches();
  for (int i = 0; i < 200; ++i) EXPECT_FALSE(redeem("alder", "short").active);
  EXPECT_LE(log_of(1000).size(), 10u);
  EXPECT_LE(db_->batches() - batches, 10u);  // each batch is a commit: an fsync
}

TEST_F(HandoffServiceTest, SuppressedFailuresAreCountedInOneSummaryRowPerClient) {
  int audited = 0;
  for (int i = 0; i < 20; ++i) audited += redeem("alder", "short").audited;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(redeem("birch", std::string(43, 'A')).audited);
  EXPECT_EQ(audited, 5);  // [audit] failure_rows_per_second
  EXPECT_EQ(audit_->suppressed_total(), 15u);
  clock_.advance(seconds(1));
  ASSERT_EQ(*audit_->flush_suppressed(), 1u);
  auto summary = *audit_->query({.limit = 1});
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0].reason, kSuppressedFailures);
  EXPECT_EQ(summary[0].client, "alder");
  EXPECT_EQ(summary[0].action, "redeem");
  EXPECT_EQ(summary[0].events, 15);
  EXPECT_EQ(log_of(100).size(), 5u + 3u + 1u);
  // A burn is never suppressed, whatever the rate.
  IssueResult t = issue("alice", "100002");
  EXPECT_TRUE(redeem("alder", t.ticket).audited);  // wrong school: burnt, so audited
  EXPECT_TRUE(audit_->verify()->ok());
}

// Issue 15 item 7: an auth_time of 1970 was accepted.
TEST_F(HandoffServiceTest, ALoginOlderThanMaxAgeIsNotHandedOff) {
  const std::int64_t now = unix_seconds(clock_.now());
  auto old = service_->issue(*clients_.find("mat-site"), {"alice", "100001", true, 1});
  ASSERT_TRUE(old);
  EXPECT_FALSE(old->issued);
  EXPECT_EQ(old->reason, "auth_time_too_old");
  EXPECT_EQ(last_audit().reason, "auth_time_too_old");
  auto stale =
      service_->issue(*clients_.find("mat-site"), {"alice", "100001", true, now - 12 * 3600 - 1});
  EXPECT_FALSE(stale->issued);
  auto fresh =
      service_->issue(*clients_.find("mat-site"), {"alice", "100001", true, now - 12 * 3600});
  EXPECT_TRUE(fresh->issued) << fresh->reason;
}

}  // namespace
}  // namespace trustgate
