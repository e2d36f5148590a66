#pragma once
// An in-memory directory for tests. It supports change waiting: every mutation bumps a
// generation and wakes wait_for_changes().
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "connectors/directory_source.h"

namespace trustgate {

// Thread-safe: tests mutate it from one thread while a sync loop reads it from another.
class FakeSource : public DirectorySource {
 public:
  explicit FakeSource(std::string name, DirectorySnapshot initial = {});

  const std::string& name() const override { return name_; }
  // A copy of the current contents (source set to name()). Calls `progress` once with the
  // number of entries. Marks every change so far as seen by wait_for_changes().
  Result<DirectorySnapshot> snapshot(const ProgressFn& progress = {}) override;

  bool supports_changes() const override { return true; }
  // True at once if anything changed since the last snapshot() or the last true return;
  // otherwise waits for a change, the timeout or `stop` (false for both).
  Result<bool> wait_for_changes(std::chrono::milliseconds timeout, std::stop_token stop) override;

  // The generation number ("<n>"), so tests can check it is stored and handed back.
  std::optional<std::string> resume_state() const override;
  void restore_state(const std::string& state) override;
  std::optional<std::string> restored_state() const;

  // Mutations; each one counts as a directory change.
  void set_snapshot(DirectorySnapshot snapshot);
  void add_user(DirectoryUser user);  // replaces a user with the same id
  bool remove_user(const std::string& id);
  void add_group(DirectoryGroup group);  // replaces a group with the same id
  bool remove_group(const std::string& id);
  // Adds `member_dn` to the group with id `group_id`; false if there is no such group.
  bool add_member(const std::string& group_id, const std::string& member_dn);
  bool remove_member(const std::string& group_id, const std::string& member_dn);

  std::size_t snapshot_calls() const;

  // Counts calls (a fake has nothing incremental to drop).
  void reconcile() override;
  std::size_t reconcile_calls() const;

 private:
  void changed();  // requires mutex_ held; bumps the generation and wakes waiters

  const std::string name_;
  mutable std::mutex mutex_;
  std::condition_variable_any changed_cv_;
  DirectorySnapshot contents_;           // guarded by mutex_
  std::size_t generation_ = 0;           // guarded by mutex_
  std::size_t seen_generation_ = 0;      // guarded by mutex_
  std::size_t snapshot_calls_ = 0;       // guarded by mutex_
  std::size_t reconcile_calls_ = 0;      // guarded by mutex_
  std::optional<std::string> restored_;  // guarded by mutex_
};

}  // namespace trustgate
