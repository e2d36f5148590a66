#pragma once
// The background sync: a full pass at start and on the interval, and a pass shortly after any
// incremental source reports a change (changes are batched for `batch` first). Each source
// with incremental sync gets a watcher thread that reconnects with backoff. Every wait is
// interruptible: stop() returns within about a second.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "daemon/sync/sync_engine.h"
#include "daemon/sync/sync_status.h"

namespace trustgate {

class SyncLoop {
 public:
  struct Options {
    std::chrono::milliseconds interval{std::chrono::minutes(5)};
    std::chrono::milliseconds batch{200};
    std::chrono::milliseconds max_backoff{std::chrono::seconds(30)};
    // Per source (same order as `sources`): how often its incremental state is dropped for a
    // complete re-read; zero: never.
    std::vector<std::chrono::seconds> reconcile;
    // How often, at most, the sources' resume state is saved while the loop is idle (it is
    // always saved on stop). Saving a large directory's state takes a while; a change that
    // arrives meanwhile waits for it.
    std::chrono::milliseconds state_save_interval{std::chrono::seconds(60)};
    // How often, at most, a running pass logs its progress to the journal.
    std::chrono::milliseconds progress_log_interval{std::chrono::seconds(10)};
  };
  // Called (on the loop's thread) after every pass that wrote a revision.
  using OnApplied = std::function<void(const SyncOutcome&)>;

  SyncLoop(SyncEngine& engine, std::vector<DirectorySource*> sources, const Clock& clock,
           Options options, OnApplied on_applied);
  ~SyncLoop();  // stops

  void start();
  void stop();
  // Asks for a full pass as soon as possible (e.g. after SIGHUP).
  void trigger();

  SyncStatus status() const;
  // Steady time of the loop's last sign of life; the watchdog is fed only while it advances.
  std::chrono::steady_clock::time_point last_heartbeat() const;

 private:
  void run(std::stop_token stop);
  void watch(std::stop_token stop, DirectorySource* source);
  void pass();
  void heartbeat();
  // Saves the engine's resume state: `now`, or when the loop is idle and the last save is
  // older than options_.state_save_interval.
  void save_resume_state(bool now);
  // The store's checkpoint, after a write it leaves in its log (see Store::checkpoint).
  void checkpoint();
  // Sets every source's first reconcile one interval after `now`; the earliest of them.
  void schedule_reconciles(std::chrono::steady_clock::time_point now);
  std::chrono::steady_clock::time_point next_reconcile() const;

  SyncEngine& engine_;
  std::vector<DirectorySource*> sources_;
  const Clock& clock_;
  Options options_;
  OnApplied on_applied_;

  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  bool pending_ = false;  // GUARDED_BY(mutex_): a change or trigger awaits a pass
  SyncStatus status_;     // GUARDED_BY(mutex_)
  std::chrono::steady_clock::time_point heartbeat_;  // GUARDED_BY(mutex_)
  // When each source's next reconcile is due (max: never); loop thread only.
  std::vector<std::chrono::steady_clock::time_point> next_reconcile_;
  std::chrono::steady_clock::time_point last_state_save_{};  // loop thread only
  ProgressMeter meter_;                                      // GUARDED_BY(mutex_)
  std::vector<std::jthread> threads_;
};

}  // namespace trustgate
