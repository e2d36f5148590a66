#pragma once
// A fault-injecting wrapper around any DirectorySource, for testing the sync's safety checks:
// failed reads, empty reads, a vanished group, a broken change stream.
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "connectors/directory_source.h"

namespace trustgate {

// Thread-safe. Faults armed with a count apply to that many of the next calls; dropped
// groups and users stay dropped until restored or clear_faults().
class FaultySource : public DirectorySource {
 public:
  explicit FaultySource(std::unique_ptr<DirectorySource> inner);  // owns `inner`
  explicit FaultySource(DirectorySource& inner);                  // `inner` must outlive this

  const std::string& name() const override { return inner_->name(); }
  Result<DirectorySnapshot> snapshot(const ProgressFn& progress = {}) override;
  bool supports_changes() const override { return inner_->supports_changes(); }
  Result<bool> wait_for_changes(std::chrono::milliseconds timeout, std::stop_token stop) override;
  std::optional<std::string> resume_state() const override { return inner_->resume_state(); }
  void restore_state(const std::string& state) override { inner_->restore_state(state); }

  // The next `n` snapshot() calls fail with `error` without reaching the inner source.
  void fail_next_snapshots(std::size_t n, Error error = {"directory.unavailable",
                                                         "injected fault: directory down"});
  // The next `n` snapshot() calls return a snapshot with no users and no groups.
  void empty_next_snapshots(std::size_t n);
  // Snapshots leave out the group whose id or DN (compared normalized) is `group`.
  void drop_group(std::string group);
  void restore_group(const std::string& group);
  // Snapshots leave out the user whose id or DN (compared normalized) is `user`.
  void drop_user(std::string user);
  void restore_user(const std::string& user);
  // The next `n` wait_for_changes() calls fail with `error` at once.
  void fail_next_waits(std::size_t n,
                       Error error = {"directory.stream", "injected fault: change stream broke"});
  void clear_faults();

  std::size_t snapshot_calls() const;  // all calls, failed ones included

 private:
  std::unique_ptr<DirectorySource> owned_;
  DirectorySource* inner_;

  mutable std::mutex mutex_;
  std::size_t snapshot_failures_ = 0;        // guarded by mutex_
  Error snapshot_error_;                     // guarded by mutex_
  std::size_t empty_snapshots_ = 0;          // guarded by mutex_
  std::vector<std::string> dropped_groups_;  // guarded by mutex_ (normalized DN or id)
  std::vector<std::string> dropped_users_;   // guarded by mutex_
  std::size_t wait_failures_ = 0;            // guarded by mutex_
  Error wait_error_;                         // guarded by mutex_
  std::size_t snapshot_calls_ = 0;           // guarded by mutex_
};

}  // namespace trustgate
