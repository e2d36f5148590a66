// The audit chain end to end: the real trustgated writes the rows, the real trustgatectl
// verifies them, and a change made straight to the SQLite file is named by its row.
#include "tests/e2e/api_e2e_fixture.h"

namespace trustgate::e2e {
namespace {

class AuditChainE2e : public ApiE2eFixture {};

TEST_F(AuditChainE2e, VerifyIsOkThenNamesTheRowChangedInTheFile) {
  start();
  const std::string ticket = ticket_for("alice", "100001");
  EXPECT_TRUE(redeem(ticket, school("alder")).active());
  EXPECT_FALSE(redeem(ticket, school("alder")).active());  // reused
  EXPECT_EQ(issue("dave", "100001").status, 403);
  ASSERT_EQ(count_audit("1=1"), 4);

  testing::CtlRun ok = daemon_->ctl({"audit", "verify"});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("audit chain OK: 4 rows"), std::string::npos) << ok.output;

  // An attacker with the file turns the reused-ticket denial of row 3 into an allow.
  {
    SQLite::Database db(daemon_->handoff_database().string(), SQLite::OPEN_READWRITE);
    db.setBusyTimeout(5000);
    db.exec("UPDATE audit_log SET decision = 'allow', reason = 'granted' WHERE id = 3");
  }
  testing::CtlRun broken = daemon_->ctl({"audit", "verify"});
  EXPECT_EQ(broken.exit_code, 1) << broken.output;
  EXPECT_NE(broken.output.find("BROKEN at row 3"), std::string::npos) << broken.output;

  testing::CtlRun json = daemon_->ctl({"--json", "audit", "verify"});
  EXPECT_EQ(json.exit_code, 1) << json.output;
  EXPECT_NE(json.output.find("\"broken_row\": 3"), std::string::npos) << json.output;
}

TEST_F(AuditChainE2e, ADeletedRowIsNamed) {
  start();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(issue("dave", "100001").status, 403);
  EXPECT_EQ(daemon_->ctl({"audit", "verify"}).exit_code, 0);
  {
    SQLite::Database db(daemon_->handoff_database().string(), SQLite::OPEN_READWRITE);
    db.setBusyTimeout(5000);
    db.exec("DELETE FROM audit_log WHERE id = 2");
  }
  testing::CtlRun broken = daemon_->ctl({"audit", "verify"});
  EXPECT_EQ(broken.exit_code, 1) << broken.output;
  EXPECT_NE(broken.output.find("row 2 is missing"), std::string::npos) << broken.output;
}

}  // namespace
}  // namespace trustgate::e2e
