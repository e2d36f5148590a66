#pragma once
// A DbAccess with group commit, for the daemon's handoff database (tickets and audit rows).
//
// One writer thread owns the connection. run() queues its operation and blocks; the writer
// takes every operation queued at that moment, runs them in ONE transaction (BEGIN IMMEDIATE),
// each inside its own SAVEPOINT, commits once and then wakes the waiting callers. So N
// concurrent requests cost one fsync instead of N, with the same guarantees as one commit
// each:
//   - run() returns only after its operation is durably committed (synchronous = FULL: the
//     WAL is fsynced by every COMMIT);
//   - an operation that throws is rolled back to its savepoint, and only its caller sees the
//     exception; the other operations of the batch still commit;
//   - if the COMMIT itself fails, every caller of that batch gets the exception (nothing of the
//     batch is durable).
// Operations run one at a time on the writer thread, in queue order. An operation must not call
// run() on the same object (it would wait for itself), and must not BEGIN/COMMIT itself.
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/handoff/db_access.h"

namespace trustgate {

class GroupCommitDb final : public DbAccess {
 public:
  // Opens (creates) `path` in WAL mode with synchronous = FULL and starts the writer. A batch
  // waits up to `busy_timeout_ms` for another process's write lock, then fails.
  static Result<std::unique_ptr<GroupCommitDb>> open(const std::string& path,
                                                     int busy_timeout_ms = 5000);
  // Runs what is still queued, then stops the writer.
  ~GroupCommitDb() override;

  void run(const std::function<void(SQLite::Database&)>& fn) override;
  Prepared prepare(SQLite::Database& conn, const std::string& sql) override;

  // For tests and metrics: transactions committed (or attempted), and operations waiting.
  std::uint64_t batches() const;
  std::size_t queued() const;

 private:
  // On the caller's stack. The writer sets `done` under `m` and notifies while holding it, so
  // the caller (who must take `m` to see `done`) cannot destroy the job before the writer is
  // through with it. (Not std::binary_semaphore: libstdc++'s spins with sched_yield before it
  // sleeps, which costs the shared cores more than it saves.)
  struct Job {
    const std::function<void(SQLite::Database&)>* fn = nullptr;
    std::exception_ptr error;
    std::mutex m;
    std::condition_variable cv;
    bool done = false;  // GUARDED_BY(m)
  };

  struct Control;

  explicit GroupCommitDb(std::unique_ptr<SQLite::Database> db);
  void writer_loop();
  void run_batch(const std::vector<Job*>& batch);

  std::unique_ptr<SQLite::Database> db_;  // used by the writer thread only
  std::unique_ptr<Control> control_;      // writer thread only; destroyed before db_
  StatementCache statements_;             // writer thread only; destroyed before db_
  mutable std::mutex mutex_;
  // The writer waits for jobs. Each caller waits on its own job, so that a batch
  // wakes exactly its callers (a shared condition variable woke every waiting request thread
  // at each commit, most of them to sleep again).
  std::condition_variable work_;
  std::vector<Job*> pending_;  // GUARDED_BY(mutex_)
  std::uint64_t batches_ = 0;  // GUARDED_BY(mutex_)
  bool stop_ = false;          // GUARDED_BY(mutex_)
  std::thread writer_;
};

}  // namespace trustgate
