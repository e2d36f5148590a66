#pragma once
// How the ticket store and the audit log reach SQLite. In production both keep their tables in
// the Store's file and go through Store::with_db (StoreDb); tests and tools may open a file of
// their own (FileDb). Either way calls are serialized on one connection.
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/error.h"

namespace SQLite {
class Database;
}

namespace trustgate {

class Store;

class DbAccess {
 public:
  virtual ~DbAccess() = default;
  // Runs `fn` with exclusive use of the connection. Exceptions from `fn` propagate.
  virtual void run(const std::function<void(SQLite::Database&)>& fn) = 0;
};

// The Store's connection (under the Store's lock). `store` must outlive this object.
class StoreDb final : public DbAccess {
 public:
  explicit StoreDb(Store& store) : store_(store) {}
  void run(const std::function<void(SQLite::Database&)>& fn) override;

 private:
  Store& store_;
};

// A connection of its own to `path` (created if missing), behind a mutex.
class FileDb final : public DbAccess {
 public:
  static Result<std::unique_ptr<FileDb>> open(const std::string& path);
  ~FileDb() override;
  void run(const std::function<void(SQLite::Database&)>& fn) override;

 private:
  explicit FileDb(std::unique_ptr<SQLite::Database> db);
  std::mutex mutex_;
  std::unique_ptr<SQLite::Database> db_;  // GUARDED_BY(mutex_)
};

// Runs `fn` and turns any exception into an Error with `code`.
Result<void> run_db(DbAccess& db, const std::string& code,
                    const std::function<void(SQLite::Database&)>& fn);

}  // namespace trustgate
