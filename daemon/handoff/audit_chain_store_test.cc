// The audit log's hash chain, checkpoint and retention, on real SQLite files. Tampering is
// done as an attacker would: through a connection of its own, straight to the file.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "daemon/handoff/audit_log.h"
#include "daemon/handoff/group_commit_db.h"
#include "daemon/testing/la_fixtures.h"

namespace trustgate {
namespace {

using namespace api_testing;

const std::string kKey(32, 'k');

AuditEvent event(std::int64_t at, int n, bool allowed = true) {
  AuditEvent e;
  e.at = at;
  e.decision_id = "d" + std::to_string(n);
  e.action = n % 2 ? "issue" : "redeem";
  e.client = "mat-site";
  e.user = "id-user" + std::to_string(n % 7);
  e.institution = "10000" + std::to_string(n % 3);
  e.allowed = allowed;
  e.reason = allowed ? "granted" : "not_associated";
  return e;
}

class AuditChainTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open(AuditOptions options = {}) {
    log_.reset();
    db_.reset();
    if (options.checkpoint_key.empty()) options.checkpoint_key = kKey;
    db_ = std::move(*FileDb::open(path()));
    auto log = AuditLog::open(*db_, clock_, options);
    ASSERT_TRUE(log) << log.error().message;
    log_ = std::move(*log);
  }
  std::string path() const { return dir_.file("handoffs.db"); }
  void add(int n, std::int64_t at = 1'800'000'000) { ASSERT_TRUE(log_->record(event(at, n))); }
  void add_rows(int count) {
    for (int i = 1; i <= count; ++i) add(i, 1'800'000'000 + i);
  }
  // The attacker's connection.
  void tamper(const std::string& sql) {
    SQLite::Database raw(path(), SQLite::OPEN_READWRITE);
    raw.exec(sql);
  }
  ChainReport verify() {
    auto r = log_->verify();
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : ChainReport{};
  }
  void expect_broken_at(std::int64_t row, const std::string& words) {
    ChainReport r = verify();
    ASSERT_FALSE(r.ok()) << "the chain verified; expected a break at row " << row;
    EXPECT_EQ(r.broken->row_id, row) << r.broken->what;
    EXPECT_NE(r.broken->what.find(words), std::string::npos) << r.broken->what;
  }

  TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<FileDb> db_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditChainTest, AChainOfNRowsVerifies) {
  EXPECT_TRUE(verify().ok());
  EXPECT_EQ(verify().rows, 0);
  add_rows(50);
  ChainReport r = verify();
  EXPECT_TRUE(r.ok()) << r.broken->what;
  EXPECT_EQ(r.rows, 50);
  EXPECT_FALSE(r.checkpoint);
}

TEST_F(AuditChainTest, TheHashIsTheDocumentedEncodingAnAuditorCanRecompute) {
  add(1);
  add(2);
  SQLite::Database raw(path(), SQLite::OPEN_READONLY);
  SQLite::Statement q(raw, "SELECT id, prev_hash, hash FROM audit_log ORDER BY id");
  ASSERT_TRUE(q.executeStep());
  EXPECT_EQ(q.getColumn(1).getString(), kGenesisHash);
  const std::string first = q.getColumn(2).getString();
  // By hand, for row 1 (event(1'800'000'000, 1)):
  std::string in = "18:trustgate-audit-v1,64:" + kGenesisHash +
                   ",1:1,10:1800000000,2:d1,5:issue,8:mat-site,8:id-user1,6:100001,5:allow,"
                   "7:granted,1:1,";
  EXPECT_EQ(first, to_hex(sha256(in)));
  ASSERT_TRUE(q.executeStep());
  EXPECT_EQ(q.getColumn(1).getString(), first);
  EXPECT_EQ(q.getColumn(2).getString(), audit_row_hash(first, 2, event(1'800'000'000, 2)));
}

TEST_F(AuditChainTest, ChangingAnyFieldOfAnyRowIsReportedAtThatRow) {
  add_rows(10);
  for (int row : {1, 5, 10}) {
    for (std::string col : {"at", "decision_id", "action", "client", "user", "institution",
                            "decision", "reason", "events", "prev_hash", "hash"}) {
      SCOPED_TRACE("row " + std::to_string(row) + " column " + col);
      const std::string where = " WHERE id = " + std::to_string(row);
      tamper("DROP TABLE IF EXISTS saved; CREATE TABLE saved AS SELECT * FROM audit_log" + where);
      tamper("UPDATE audit_log SET " + col + " = CASE WHEN typeof(" + col + ") = 'integer' THEN " +
             col + " + 1 ELSE " + col + " || 'x' END" + where);
      expect_broken_at(row, col == "prev_hash" ? "prev_hash" : "changed");
      tamper("UPDATE audit_log SET " + col + " = (SELECT " + col + " FROM saved)" + where);
      ASSERT_TRUE(verify().ok());
    }
  }
}

TEST_F(AuditChainTest, AChangedDecisionIsCaughtEvenWhenItNoLongerReadsAsAllow) {
  add(1);
  ASSERT_TRUE(log_->record(event(1'800'000'000, 2, false)));
  tamper("UPDATE audit_log SET decision = 'DENY' WHERE id = 2");  // still "not allow"
  expect_broken_at(2, "changed");
}

TEST_F(AuditChainTest, DeletingAMiddleRowIsReportedAtTheNextRowNamingTheMissingOne) {
  add_rows(10);
  tamper("DELETE FROM audit_log WHERE id = 4");
  expect_broken_at(5, "row 4 is missing");
  tamper("DELETE FROM audit_log WHERE id IN (5, 6)");
  expect_broken_at(7, "rows 4 to 6 are missing");
}

TEST_F(AuditChainTest, DeletingTheFirstOrTheLastRowsIsReported) {
  add_rows(10);
  tamper("DELETE FROM audit_log WHERE id >= 9");
  expect_broken_at(9, "rows 9 to 10");
  tamper("DELETE FROM audit_log WHERE id = 1");
  expect_broken_at(2, "row 1 is missing");
}

TEST_F(AuditChainTest, ReorderingRowsIsReportedAtTheFirstMovedRow) {
  add_rows(10);
  // Swap the contents of rows 3 and 4, ids kept.
  tamper(
      "CREATE TABLE r3 AS SELECT * FROM audit_log WHERE id = 3;"
      "CREATE TABLE r4 AS SELECT * FROM audit_log WHERE id = 4;"
      "DELETE FROM audit_log WHERE id IN (3, 4);"
      "INSERT INTO audit_log SELECT 3, at, decision_id, action, client, user, institution,"
      " decision, reason, events, prev_hash, hash FROM r4;"
      "INSERT INTO audit_log SELECT 4, at, decision_id, action, client, user, institution,"
      " decision, reason, events, prev_hash, hash FROM r3;");
  expect_broken_at(3, "prev_hash does not match the hash of row 2");
}

TEST_F(AuditChainTest, SwappingIdsIsReportedToo) {
  add_rows(10);
  tamper(
      "UPDATE audit_log SET id = -3 WHERE id = 3; UPDATE audit_log SET id = 3 WHERE id = 4;"
      "UPDATE audit_log SET id = 4 WHERE id = -3;");
  expect_broken_at(3, "");
}

TEST_F(AuditChainTest, AnInsertedRowIsReported) {
  add_rows(5);
  tamper(
      "UPDATE audit_log SET id = -id WHERE id >= 3; UPDATE audit_log SET id = 1 - id WHERE id < "
      "0;");
  // Rows 3..5 moved to 4..6; a forged row 3 copied from row 2.
  tamper(
      "INSERT INTO audit_log SELECT 3, at, 'forged', action, client, user, institution,"
      " decision, reason, events, hash, hash FROM audit_log WHERE id = 2");
  expect_broken_at(3, "changed");
}

TEST_F(AuditChainTest, RetentionByAgeDeletesTheOldestRowsAndTheChainStillVerifies) {
  open({.retention_days = 30, .max_rows = 0});
  const std::int64_t day = 86'400;
  const std::int64_t now = unix_seconds(clock_.now());
  // Rows 1..9 are older than 30 days; row 10 is exactly 30 days old and stays.
  for (int i = 1; i <= 20; ++i) add(i, now - (40 - i) * day);
  auto cut = log_->enforce_retention();
  ASSERT_TRUE(cut) << cut.error().message;
  EXPECT_EQ(cut->deleted, 9);
  EXPECT_EQ(cut->checkpoint, 9);
  ChainReport r = verify();
  EXPECT_TRUE(r.ok()) << r.broken->what;
  EXPECT_EQ(r.rows, 11);
  EXPECT_EQ(r.checkpoint, 9);
  // Writing goes on from the checkpoint, and a second pass has nothing to do.
  add(21, now);
  EXPECT_EQ(log_->enforce_retention()->deleted, 0);
  EXPECT_TRUE(verify().ok());
  EXPECT_EQ(verify().rows, 12);
}

TEST_F(AuditChainTest, RetentionByRowCountKeepsTheNewestInBatches) {
  open({.retention_days = 0, .max_rows = 7, .retention_batch = 3});
  add_rows(20);
  auto cut = log_->enforce_retention();
  ASSERT_TRUE(cut) << cut.error().message;
  EXPECT_EQ(cut->deleted, 13);
  EXPECT_EQ(cut->checkpoint, 13);
  ChainReport r = verify();
  EXPECT_TRUE(r.ok()) << r.broken->what;
  EXPECT_EQ(r.rows, 7);
  // Everything deleted by retention (max_rows 0 rows is "no limit", so age): still verifies,
  // and the next row continues the chain.
  open({.retention_days = 1, .max_rows = 0});
  clock_.advance(std::chrono::hours(24 * 3));
  ASSERT_TRUE(log_->enforce_retention());
  EXPECT_EQ(verify().rows, 0);
  EXPECT_TRUE(verify().ok());
  add(99, unix_seconds(clock_.now()));
  EXPECT_TRUE(verify().ok());
  SQLite::Database raw(path(), SQLite::OPEN_READONLY);
  EXPECT_EQ(raw.execAndGet("SELECT id FROM audit_log").getInt64(), 21);
}

TEST_F(AuditChainTest, AForgedOrChangedCheckpointIsReported) {
  open({.retention_days = 0, .max_rows = 5});
  add_rows(10);
  ASSERT_TRUE(log_->enforce_retention());
  ASSERT_TRUE(verify().ok());
  tamper("UPDATE audit_checkpoint SET last_id = 4");
  expect_broken_at(4, "signature");
  tamper("UPDATE audit_checkpoint SET last_id = 5, signature = 'ff' || substr(signature, 3)");
  expect_broken_at(5, "signature");
}

TEST_F(AuditChainTest, ACheckpointForgedToHideDeletedRowsIsReported) {
  add_rows(10);
  // The attacker deletes rows 1..3 and writes a checkpoint that would make the rest verify,
  // signed with a key of their own.
  SQLite::Database raw(path(), SQLite::OPEN_READONLY);
  const std::string hash3 = raw.execAndGet("SELECT hash FROM audit_log WHERE id = 3").getString();
  tamper("DELETE FROM audit_log WHERE id <= 3");
  tamper("INSERT INTO audit_checkpoint VALUES (1, 3, '" + hash3 + "', 1800000000, '" +
         audit_checkpoint_signature("not the key", 3, hash3, 1'800'000'000) + "')");
  expect_broken_at(3, "signature");
  // Without any checkpoint, the first row does not start the chain.
  tamper("DELETE FROM audit_checkpoint");
  expect_broken_at(4, "rows 1 to 3 are missing");
}

TEST_F(AuditChainTest, DeletingTheCheckpointIsReported) {
  open({.retention_days = 0, .max_rows = 5});
  add_rows(10);
  ASSERT_TRUE(log_->enforce_retention());
  tamper("DELETE FROM audit_checkpoint");
  expect_broken_at(6, "rows 1 to 5 are missing");
}

TEST_F(AuditChainTest, ACheckpointWithoutAKeyToCheckItIsAnError) {
  open({.retention_days = 0, .max_rows = 5});
  add_rows(10);
  ASSERT_TRUE(log_->enforce_retention());
  auto unkeyed = AuditLog::open(*db_, clock_, {.max_rows = 2, .checkpoint_key = ""});
  ASSERT_TRUE(unkeyed);
  auto r = (*unkeyed)->verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "audit.key");
  EXPECT_EQ((*unkeyed)->enforce_retention().error().code, "audit.key");
}

TEST_F(AuditChainTest, RetentionRefusesToCutRowsThatDoNotVerify) {
  open({.retention_days = 0, .max_rows = 5});
  add_rows(10);
  tamper("UPDATE audit_log SET user = 'someone else' WHERE id = 2");
  auto cut = log_->enforce_retention();
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code, "audit.broken");
  EXPECT_NE(cut.error().message.find("row 2"), std::string::npos) << cut.error().message;
  expect_broken_at(2, "changed");  // the evidence is still there
}

TEST_F(AuditChainTest, ConcurrentWritersThroughGroupCommitKeepTheChainIntact) {
  log_.reset();
  db_.reset();
  auto gdb = std::move(*GroupCommitDb::open(path()));
  auto log = std::move(*AuditLog::open(*gdb, clock_, {.checkpoint_key = kKey}));
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) ASSERT_TRUE(log->record(event(1'800'000'000, t * 100 + i)));
    });
  }
  for (auto& th : threads) th.join();
  auto r = log->verify();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok()) << r->broken->what;
  EXPECT_EQ(r->rows, 320);
}

TEST_F(AuditChainTest, ConcurrentWritersOnTwoConnectionsKeepTheChainIntact) {
  // Two processes' worth: each its own connection to the file.
  auto other_db = std::move(*FileDb::open(path()));
  auto other = std::move(*AuditLog::open(*other_db, clock_, {.checkpoint_key = kKey}));
  std::thread a([&] {
    for (int i = 0; i < 60; ++i) ASSERT_TRUE(log_->record(event(1'800'000'000, i)));
  });
  std::thread b([&] {
    for (int i = 0; i < 60; ++i) ASSERT_TRUE(other->record(event(1'800'000'000, 1000 + i)));
  });
  a.join();
  b.join();
  ChainReport r = verify();
  EXPECT_TRUE(r.ok()) << r.broken->what;
  EXPECT_EQ(r.rows, 120);
}

TEST_F(AuditChainTest, APreChainDatabaseIsMigratedIntoAVerifiableChain) {
  log_.reset();
  db_.reset();
  const std::string old_path = dir_.file("old.db");
  {
    // The table as trustgate wrote it before the chain, with rows.
    SQLite::Database raw(old_path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec(
        "CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL,"
        " decision_id TEXT NOT NULL, action TEXT NOT NULL, client TEXT NOT NULL,"
        " user TEXT NOT NULL, institution TEXT NOT NULL, decision TEXT NOT NULL,"
        " reason TEXT NOT NULL)");
    for (int i = 1; i <= 25; ++i) {
      raw.exec(
          "INSERT INTO audit_log (at, decision_id, action, client, user, institution,"
          " decision, reason) VALUES (" +
          std::to_string(1'700'000'000 + i) + ", 'old" + std::to_string(i) +
          "', 'issue', 'mat-site', 'id-alice', '100001', 'allow', 'granted')");
    }
  }
  auto db = std::move(*FileDb::open(old_path));
  auto log = AuditLog::open(*db, clock_, {.checkpoint_key = kKey});
  ASSERT_TRUE(log) << log.error().message;
  auto r = (*log)->verify();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok()) << r->broken->what;
  EXPECT_EQ(r->rows, 25);
  ASSERT_TRUE((*log)->record(event(1'800'000'000, 1)));
  EXPECT_EQ((*log)->verify()->rows, 26);
  EXPECT_TRUE((*log)->verify()->ok());
  auto old = (*log)->query({.users = {"id-alice"}});
  ASSERT_TRUE(old);
  EXPECT_EQ(old->size(), 25u);
  EXPECT_EQ(old->back().events, 1);
  {
    SQLite::Database raw(old_path, SQLite::OPEN_READWRITE);
    EXPECT_EQ(raw.execAndGet("SELECT version FROM audit_schema").getInt(),
              AuditLog::kSchemaVersion);
    raw.exec("UPDATE audit_log SET reason = 'not_associated' WHERE id = 7");
  }
  // Opening again does not re-hash (which would bless the change).
  log->reset();
  auto again = std::move(*AuditLog::open(*db, clock_, {.checkpoint_key = kKey}));
  auto broken = again->verify();
  ASSERT_TRUE(broken);
  ASSERT_FALSE(broken->ok());
  EXPECT_EQ(broken->broken->row_id, 7);
}

TEST_F(AuditChainTest, ANewerSchemaIsRefused) {
  tamper("UPDATE audit_schema SET version = 9");
  auto log = AuditLog::open(*db_, clock_);
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, "audit.schema");
}

TEST_F(AuditChainTest, TheCheckpointKeyIsCreatedPrivateOnceAndReadBack) {
  SeededRandom random(3);
  const std::string key_path = dir_.file("audit.key");
  EXPECT_FALSE(*read_audit_key(key_path));
  auto made = load_or_create_audit_key(key_path, random);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat(key_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = load_or_create_audit_key(key_path, random);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *made);
  ASSERT_EQ(::chmod(key_path.c_str(), 0644), 0);
  EXPECT_FALSE(read_audit_key(key_path));
}

}  // namespace
}  // namespace trustgate
