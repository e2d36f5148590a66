// BatchedInsert: every row lands once, whether it went in a full batch or at flush().
#include "daemon/store/store_batched_insert.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace trustgate {
namespace {

struct Row {
  std::int64_t key;
  const std::string* text;
};

void bind_row(SQLite::Statement& s, int i, const Row& r) {
  s.bind(i, r.key);
  s.bindNoCopy(i + 1, *r.text);
}

std::vector<std::string> written(SQLite::Database& db) {
  std::vector<std::string> out;
  SQLite::Statement q(db, "SELECT k, t FROM t ORDER BY rowid");
  while (q.executeStep())
    out.push_back(q.getColumn(0).getString() + "=" + q.getColumn(1).getString());
  return out;
}

TEST(BatchedInsert, EveryRowLandsOnceInOrderWhateverTheCount) {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, BatchedInsert<Row>::kRows,
                        BatchedInsert<Row>::kRows + 1, 3 * BatchedInsert<Row>::kRows + 5}) {
    SCOPED_TRACE(n);
    SQLite::Database db(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE t (k INTEGER NOT NULL, t TEXT NOT NULL)");
    std::vector<std::string> texts;
    for (std::size_t i = 0; i < n; ++i) texts.push_back("v" + std::to_string(i));
    BatchedInsert<Row> insert(db, "INSERT INTO t (k, t)", 2, bind_row);
    std::vector<std::string> expected;
    for (std::size_t i = 0; i < n; ++i) {
      insert.add(Row{static_cast<std::int64_t>(i), &texts[i]});
      expected.push_back(std::to_string(i) + "=" + texts[i]);
    }
    // Full batches are written as they fill; the rest waits for flush().
    const std::size_t full = n / BatchedInsert<Row>::kRows * BatchedInsert<Row>::kRows;
    EXPECT_EQ(written(db).size(), full);
    insert.flush();
    EXPECT_EQ(written(db), expected);
    insert.flush();  // nothing left: writes nothing again
    EXPECT_EQ(written(db).size(), n);
  }
}

TEST(BatchedInsert, AConstraintFailureThrowsAsASingleInsertWould) {
  SQLite::Database db(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, t TEXT NOT NULL)");
  const std::string text = "x";
  BatchedInsert<Row> insert(db, "INSERT INTO t (k, t)", 2, bind_row);
  insert.add(Row{1, &text});
  insert.add(Row{1, &text});  // the same key twice
  EXPECT_THROW(insert.flush(), SQLite::Exception);
  BatchedInsert<Row> batch(db, "INSERT INTO t (k, t)", 2, bind_row);
  EXPECT_THROW(
      {
        for (std::size_t i = 0; i < BatchedInsert<Row>::kRows; ++i) batch.add(Row{7, &text});
      },
      SQLite::Exception);
}

}  // namespace
}  // namespace trustgate
