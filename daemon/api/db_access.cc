#include "daemon/api/db_access.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <exception>

#include "daemon/store.h"

namespace trustgate {

void StoreDb::run(const std::function<void(SQLite::Database&)>& fn) {
  store_.with_db([&](SQLite::Database& db) { fn(db); });
}

Result<std::unique_ptr<FileDb>> FileDb::open(const std::string& path) {
  try {
    auto db = std::make_unique<SQLite::Database>(
        path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX);
    db->setBusyTimeout(5000);
    db->exec("PRAGMA journal_mode = WAL");  // as the Store's file
    return std::unique_ptr<FileDb>(new FileDb(std::move(db)));
  } catch (const std::exception& e) {
    return fail("store.io", std::string("cannot open database: ") + e.what());
  }
}

FileDb::FileDb(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {}
FileDb::~FileDb() = default;

void FileDb::run(const std::function<void(SQLite::Database&)>& fn) {
  std::lock_guard lock(mutex_);
  fn(*db_);
}

Result<void> run_db(DbAccess& db, const std::string& code,
                    const std::function<void(SQLite::Database&)>& fn) {
  try {
    db.run(fn);
    return {};
  } catch (const std::exception& e) {
    return fail(code, e.what());
  }
}

}  // namespace trustgate
