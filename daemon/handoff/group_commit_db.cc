#include "daemon/handoff/group_commit_db.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "common/private_files.h"

namespace trustgate {

// The transaction-control statements, prepared once (the writer runs them for every batch).
struct GroupCommitDb::Control {
  explicit Control(SQLite::Database& db)
      : begin(db, "BEGIN IMMEDIATE"),
        commit(db, "COMMIT"),
        rollback(db, "ROLLBACK"),
        savepoint(db, "SAVEPOINT op"),
        release(db, "RELEASE op"),
        rollback_to(db, "ROLLBACK TO op") {}
  SQLite::Statement begin, commit, rollback, savepoint, release, rollback_to;
};

namespace {

void step(SQLite::Statement& s) {
  try {
    s.exec();
  } catch (...) {
    s.tryReset();
    throw;
  }
  s.reset();
}

}  // namespace

Result<std::unique_ptr<GroupCommitDb>> GroupCommitDb::open(const std::string& path,
                                                           int busy_timeout_ms) {
  try {
    if (auto made = make_private_database_file(path); !made) return std::unexpected(made.error());
    auto db =
        std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db->setBusyTimeout(busy_timeout_ms);
    db->exec("PRAGMA journal_mode = WAL");
    // Every COMMIT fsyncs the WAL: an answered burn survives a power loss.
    db->exec("PRAGMA synchronous = FULL");
    // Checkpoint (copy the WAL into the database file, with its own fsyncs) every ~40 MiB of
    // WAL instead of SQLite's 4 MiB: the writer runs it inline, and the hot pages (ticket and
    // audit b-tree leaves) appear in the WAL many times but are copied once per checkpoint.
    db->exec("PRAGMA wal_autocheckpoint = 10000");
    return std::unique_ptr<GroupCommitDb>(new GroupCommitDb(std::move(db)));
  } catch (const std::exception& e) {
    return fail("store.io", std::string("cannot open database: ") + e.what());
  }
}

GroupCommitDb::GroupCommitDb(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {
  writer_ = std::thread([this] { writer_loop(); });
}

GroupCommitDb::~GroupCommitDb() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  work_.notify_one();
  writer_.join();
}

void GroupCommitDb::run(const std::function<void(SQLite::Database&)>& fn) {
  Job job;
  job.fn = &fn;
  {
    std::unique_lock lock(mutex_);
    if (stop_) throw std::runtime_error("the handoff database is closing");
    pending_.push_back(&job);
    if (pending_.size() == 1) work_.notify_one();
  }
  {
    std::unique_lock lock(job.m);
    job.cv.wait(lock, [&] { return job.done; });
  }
  if (job.error) std::rethrow_exception(job.error);
}

Prepared GroupCommitDb::prepare(SQLite::Database& conn, const std::string& sql) {
  return statements_.get(conn, sql);  // only ever called on the writer thread, inside run()
}

std::uint64_t GroupCommitDb::batches() const {
  std::lock_guard lock(mutex_);
  return batches_;
}

std::size_t GroupCommitDb::queued() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

void GroupCommitDb::writer_loop() {
  std::vector<Job*> batch;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      work_.wait(lock, [&] { return stop_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping, and nothing left to run
      batch.swap(pending_);
    }
    run_batch(batch);
    {
      std::lock_guard lock(mutex_);
      ++batches_;
    }
    for (Job* job : batch) {
      std::lock_guard lock(job->m);
      job->done = true;
      job->cv.notify_one();
    }
    batch.clear();
  }
}

void GroupCommitDb::run_batch(const std::vector<Job*>& batch) {
  // Gives every job that has no error of its own the error `e`.
  auto fail_rest = [&](const std::exception_ptr& e) {
    for (Job* job : batch) {
      if (!job->error) job->error = e;
    }
  };
  try {
    if (!control_) control_ = std::make_unique<Control>(*db_);
    step(control_->begin);
  } catch (...) {
    fail_rest(std::current_exception());
    return;
  }
  Control& c = *control_;
  for (Job* job : batch) {
    try {
      step(c.savepoint);
      (*job->fn)(*db_);
      step(c.release);
    } catch (...) {
      job->error = std::current_exception();
      try {
        step(c.rollback_to);
        step(c.release);
      } catch (const std::exception& e) {
        // The transaction is unusable: give it up, and with it the whole batch.
        spdlog::error("handoff db: cannot roll back one operation ({}); the batch is abandoned",
                      e.what());
        try {
          step(c.rollback);
        } catch (...) {
        }
        fail_rest(std::make_exception_ptr(
            std::runtime_error(std::string("transaction abandoned: ") + e.what())));
        return;
      }
    }
  }
  try {
    step(c.commit);
  } catch (...) {
    auto e = std::current_exception();
    try {
      step(c.rollback);
    } catch (...) {
    }
    fail_rest(e);
  }
}

}  // namespace trustgate
