// The process-wide SQLite settings: in effect when made first, refused (and harmless) later.
#include "daemon/store/sqlite_library.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace trustgate {
namespace {

// Runs `sql` on a fresh in-memory database, leaving SQLite initialised.
void use_sqlite(const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

constexpr const char* kSomeWork =
    "CREATE TABLE t (a TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
    "WHERE i < 1000) INSERT INTO t SELECT printf('row %d', i) FROM n;";

TEST(SqliteLibrary, MemoryStatisticsAreOffWhenConfiguredBeforeFirstUse) {
  ASSERT_EQ(sqlite3_shutdown(), SQLITE_OK);  // no connection is open in this test process
  ASSERT_TRUE(configure_sqlite_library());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, kSomeWork, nullptr, nullptr, nullptr), SQLITE_OK);
  // With statistics off SQLite counts nothing: an open database with 1,000 rows "uses" 0 bytes.
  EXPECT_EQ(sqlite3_memory_used(), 0);
  sqlite3_close(db);
}

TEST(SqliteLibrary, IsRefusedOnceSQLiteIsInitialisedAndChangesNothing) {
  ASSERT_EQ(sqlite3_shutdown(), SQLITE_OK);
  use_sqlite("SELECT 1");  // initialises SQLite with its defaults (statistics on)
  auto configured = configure_sqlite_library();
  ASSERT_FALSE(configured);
  EXPECT_EQ(configured.error().code, "store.sqlite");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, kSomeWork, nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_GT(sqlite3_memory_used(), 0);
  sqlite3_close(db);
}

}  // namespace
}  // namespace trustgate
