#include "daemon/handoff/db_access.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <exception>

#include "common/private_files.h"

namespace trustgate {

Result<std::unique_ptr<FileDb>> FileDb::open(const std::string& path) {
  try {
    if (auto made = make_private_database_file(path); !made) return std::unexpected(made.error());
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

Prepared::Prepared(SQLite::Statement& kept) : s_(&kept) {}
Prepared::Prepared(std::unique_ptr<SQLite::Statement> owned)
    : owned_(std::move(owned)), s_(owned_.get()) {}

Prepared::~Prepared() {
  if (owned_) return;  // finalized with it
  s_->tryReset();
  try {
    s_->clearBindings();
  } catch (...) {
    // Cannot fail for a valid statement; the next use binds every parameter anyway.
  }
}

StatementCache::StatementCache() = default;
StatementCache::~StatementCache() = default;

Prepared StatementCache::get(SQLite::Database& conn, const std::string& sql) {
  auto& slot = statements_[sql];
  if (!slot) slot = std::make_unique<SQLite::Statement>(conn, sql);
  return Prepared(*slot);
}

Prepared DbAccess::prepare(SQLite::Database& conn, const std::string& sql) {
  return Prepared(std::make_unique<SQLite::Statement>(conn, sql));
}

Prepared FileDb::prepare(SQLite::Database& conn, const std::string& sql) {
  return statements_.get(conn, sql);
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
