#include "daemon/handoff/audit_log.h"

#include <gtest/gtest.h>

#include "daemon/testing/la_fixtures.h"

namespace trustgate {
namespace {

using namespace api_testing;

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(*FileDb::open(dir_.file("tg.db")));
    log_ = std::move(*AuditLog::open(*db_, clock_));
  }
  void add(std::int64_t at, std::string user, std::string inst, bool allowed,
           std::string action = "issue") {
    AuditEvent e;
    e.at = at;
    e.decision_id = "d" + std::to_string(at);
    e.action = std::move(action);
    e.client = "mat-site";
    e.user = std::move(user);
    e.institution = std::move(inst);
    e.allowed = allowed;
    e.reason = allowed ? "granted" : "not_associated";
    ASSERT_TRUE(log_->record(e));
  }
  TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<FileDb> db_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, FiltersByUserInstitutionDecisionAndTimeNewestFirst) {
  add(100, "alice", "100001", true);
  add(200, "alice", "100002", false);
  add(300, "bob", "100001", false, "redeem");
  add(400, "alice", "100001", true, "redeem");

  auto alice = log_->query({.users = {"alice"}});
  ASSERT_TRUE(alice);
  ASSERT_EQ(alice->size(), 3u);
  EXPECT_EQ((*alice)[0].at, 400);
  EXPECT_EQ((*alice)[2].at, 100);

  auto denied = log_->query({.allowed = false});
  ASSERT_EQ(denied->size(), 2u);
  EXPECT_EQ((*denied)[0].reason, "not_associated");

  auto window = log_->query({.institutions = {"100001"}, .since = 150, .until = 350});
  ASSERT_EQ(window->size(), 1u);
  EXPECT_EQ((*window)[0].user, "bob");

  // A list matches any of its values, and the lists and the rest all hold together.
  auto either = log_->query({.users = {"alice", "bob"}, .institutions = {"nowhere", "100001"}});
  ASSERT_TRUE(either);
  EXPECT_EQ(either->size(), 3u);
  auto none = log_->query({.users = {"alice"}, .clients = {"nobody"}});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());

  auto redeems = log_->query({.actions = {"redeem"}, .limit = 1});
  ASSERT_EQ(redeems->size(), 1u);
  EXPECT_EQ((*redeems)[0].decision_id, "d400");
}

TEST_F(AuditLogTest, RecordFillsTheTimeFromTheClock) {
  AuditEvent e;
  e.decision_id = "x";
  e.action = "associate";
  ASSERT_TRUE(log_->record(e));
  auto all = log_->query({});
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].at, unix_seconds(clock_.now()));
}

}  // namespace
}  // namespace trustgate
