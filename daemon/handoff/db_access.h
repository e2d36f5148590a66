#pragma once
// How the ticket store and the audit log reach SQLite: a file of their own, <db>-handoffs.db
// (handoff_db.h), apart from the access-model store. In the daemon through GroupCommitDb, which
// commits concurrent handoffs together; in tools and tests through FileDb. Either way calls are
// serialized on one connection.
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/error.h"

namespace SQLite {
class Database;
class Statement;
}  // namespace SQLite

namespace trustgate {

// A prepared statement lent for one use inside DbAccess::run(): reset, and its bindings
// cleared, when the handle ends. Either owned by the handle (finalized then) or kept by the
// DbAccess for the next use.
class Prepared {
 public:
  explicit Prepared(SQLite::Statement& kept);
  explicit Prepared(std::unique_ptr<SQLite::Statement> owned);
  ~Prepared();
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;
  SQLite::Statement* operator->() const { return s_; }
  SQLite::Statement& operator*() const { return *s_; }

 private:
  std::unique_ptr<SQLite::Statement> owned_;
  SQLite::Statement* s_;
};

// Statements of one connection kept for reuse, which saves parsing the SQL on every call. Its
// owner uses it only while holding the connection and destroys it before the connection.
class StatementCache {
 public:
  StatementCache();
  ~StatementCache();
  Prepared get(SQLite::Database& conn, const std::string& sql);

 private:
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
};

class DbAccess {
 public:
  virtual ~DbAccess() = default;
  // Runs `fn` with exclusive use of the connection. Exceptions from `fn` propagate.
  virtual void run(const std::function<void(SQLite::Database&)>& fn) = 0;
  // A statement for `sql` on `conn`; only inside run(). This one prepares it afresh;
  // FileDb and GroupCommitDb keep their statements for reuse.
  virtual Prepared prepare(SQLite::Database& conn, const std::string& sql);
};

// A connection of its own to `path` (created if missing), behind a mutex.
class FileDb final : public DbAccess {
 public:
  static Result<std::unique_ptr<FileDb>> open(const std::string& path);
  ~FileDb() override;
  void run(const std::function<void(SQLite::Database&)>& fn) override;
  Prepared prepare(SQLite::Database& conn, const std::string& sql) override;

 private:
  explicit FileDb(std::unique_ptr<SQLite::Database> db);
  std::mutex mutex_;
  std::unique_ptr<SQLite::Database> db_;  // GUARDED_BY(mutex_)
  StatementCache statements_;             // GUARDED_BY(mutex_); destroyed before db_
};

// Runs `fn` and turns any exception into an Error with `code`.
Result<void> run_db(DbAccess& db, const std::string& code,
                    const std::function<void(SQLite::Database&)>& fn);

}  // namespace trustgate
