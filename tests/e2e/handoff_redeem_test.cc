// Every way a redeem fails, against the real trustgated over HTTP. A failed redeem answers only
// {"active":false,"decision_id"}; the reason is read back from the audit trail.
#include <thread>

#include "tests/e2e/api_e2e_fixture.h"

namespace trustgate::e2e {
namespace {

class HandoffRedeemE2eTest : public ApiE2eFixture {
 protected:
  // Asserts a redeem answer is "not active" and reveals nothing else; returns the audited reason.
  std::string expect_inactive(const Reply& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    if (!r.json) {
      ADD_FAILURE() << "no JSON body: " << r.body;
      return "";
    }
    EXPECT_FALSE(r.active()) << r.body;
    EXPECT_EQ(r.json->getNames(), (std::vector<std::string>{"active", "decision_id"})) << r.body;
    return audited_reason(r.str("decision_id"));
  }
};

TEST_F(HandoffRedeemE2eTest, AnotherSchoolsTicketIsNotActiveAndBurntForTheRightSchool) {
  start();
  const std::string ticket = ticket_for("alice", "100001");
  EXPECT_EQ(expect_inactive(redeem(ticket, school("birch"))), "wrong_institution");
  // The failed attempt burnt it: the school it was issued for gets nothing either.
  EXPECT_EQ(expect_inactive(redeem(ticket, school("alder"))), "ticket_reused");
}

TEST_F(HandoffRedeemE2eTest, ExpiredTicketIsNotActive) {
  auto o = default_options();
  o.ttl_seconds = 1;
  start(o);
  Reply t = issue("alice", "100001");
  ASSERT_EQ(t.status, 201) << t.body;
  EXPECT_EQ(t.json->getValue<int>("ttl_seconds"), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(expect_inactive(redeem(t.str("ticket"), school("alder"))), "ticket_expired");
}

TEST_F(HandoffRedeemE2eTest, ReplayedTicketIsNotActive) {
  start();
  const std::string ticket = ticket_for("alice", "100002");
  ASSERT_TRUE(redeem(ticket, school("birch")).active());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(expect_inactive(redeem(ticket, school("birch"))), "ticket_reused");
  }
}

TEST_F(HandoffRedeemE2eTest, UnknownOrMalformedTicketIsNotActive) {
  start();
  // Well-formed (43 base64url characters = 32 bytes) but never issued.
  EXPECT_EQ(expect_inactive(redeem(std::string(43, 'A'), school("alder"))), "unknown_ticket");
  EXPECT_EQ(expect_inactive(redeem("not-a-ticket", school("alder"))), "malformed_ticket");
  EXPECT_EQ(expect_inactive(redeem(std::string(43, '*'), school("alder"))), "malformed_ticket");
}

TEST_F(HandoffRedeemE2eTest, NoOrBadCredentialIs401AndDoesNotBurnTheTicketButAnotherKindDoes) {
  start();
  const std::string ticket = ticket_for("alice", "100001");
  const std::string body = R"({"ticket":")" + ticket + R"("})";
  for (const std::string& auth :
       {std::string(), bearer("alder", "wrong-secret"), bearer("nobody", kAlderSecret),
        std::string("Bearer garbage"), std::string("Digest alder")}) {
    SCOPED_TRACE(auth);
    Reply r = call("POST", "/v1/handoffs/redeem", auth, body);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.error_code(), "unauthorized");
    EXPECT_FALSE(r.json->has("active"));
  }
  Reply r = redeem(ticket, school("alder"));
  EXPECT_TRUE(r.active()) << r.body;
  // An authenticated client of another kind is a failed redeem: burnt, audited, not active.
  const std::string other = ticket_for("alice", "100001");
  Reply by_site = call("POST", "/v1/handoffs/redeem", site(), R"({"ticket":")" + other + R"("})");
  EXPECT_EQ(by_site.status, 200) << by_site.body;
  EXPECT_FALSE(by_site.active());
  EXPECT_EQ(audited_reason(by_site.str("decision_id")), "wrong_client_kind");
  EXPECT_FALSE(redeem(other, school("alder")).active());
}

TEST_F(HandoffRedeemE2eTest, AccessRevokedBetweenIssueAndRedeemWins) {
  start();
  const std::string ticket = ticket_for("alice", "100001");
  const long long before = daemon_->served_revision();
  ASSERT_GE(before, 1);

  // The directory drops alice from MIS-Users; another process applies the new revision.
  DirectoryShape revoked;
  revoked.alice_in_mis_users = false;
  daemon_->write_ldif(directory_ldif(revoked));
  testing::CtlRun sync = daemon_->ctl({"sync", "--once"});
  ASSERT_EQ(sync.exit_code, 0) << sync.output;
  // The daemon notices the other process's write (PRAGMA data_version) and reloads.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (daemon_->served_revision() <= before && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GT(daemon_->served_revision(), before) << daemon_->log();

  EXPECT_EQ(expect_inactive(redeem(ticket, school("alder"))), "no_login_permission");
  Reply again = issue("alice", "100001");
  EXPECT_EQ(again.status, 403) << again.body;
}

TEST_F(HandoffRedeemE2eTest, TicketsPersistAcrossARestart) {
  start();
  const std::string redeemed = ticket_for("alice", "100001");
  const std::string pending = ticket_for("alice", "100002");
  ASSERT_TRUE(redeem(redeemed, school("alder")).active());

  daemon_->restart();
  ASSERT_TRUE(daemon_->wait_ready()) << daemon_->log();

  EXPECT_EQ(expect_inactive(redeem(redeemed, school("alder"))), "ticket_reused");
  Reply r = redeem(pending, school("birch"));
  EXPECT_TRUE(r.active()) << r.body;
  EXPECT_EQ(expect_inactive(redeem(pending, school("birch"))), "ticket_reused");
}

}  // namespace
}  // namespace trustgate::e2e
