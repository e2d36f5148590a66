#pragma once
#include <algorithm>
// What the API serves: an immutable snapshot of the current revision with manual associations
// merged in, plus indexes for the hot path. Requests read a snapshot and never touch SQLite.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/error.h"
#include "daemon/store/store.h"
#include "mapping/access_model.h"
#include "mapping/decision.h"
#include "mapping/manual_association.h"

namespace trustgate {

class ServingSnapshot {
 public:
  // `store_model` is the revision as applied (without manual associations); the snapshot
  // serves with_manual(store_model, manual). `data_as_of` = last successful sync (unix s).
  static std::shared_ptr<const ServingSnapshot> build(AccessModel store_model,
                                                      const std::vector<ManualAssociation>& manual,
                                                      RevisionInfo revision,
                                                      std::optional<std::int64_t> data_as_of);
  // As above, sharing `store_model`; `previous` (the snapshot served so far, if any) lends its
  // username index when no username changed.
  static std::shared_ptr<const ServingSnapshot> build(
      std::shared_ptr<const AccessModel> store_model, const std::vector<ManualAssociation>& manual,
      RevisionInfo revision, std::optional<std::int64_t> data_as_of,
      const ServingSnapshot* previous);

  const AccessModel& model() const { return *model_; }  // the effective (merged) model
  const RevisionInfo& revision() const { return revision_; }
  std::optional<std::int64_t> data_as_of() const { return data_as_of_; }

  // As AccessModel::lookup (ids and usernames are separate namespaces; a shared username is
  // Ambiguous), through an index (no linear scans on the hot path).
  UserLookup lookup(const UserKey& key) const;
  // By stable id only (e.g. a ticket's user); nullptr when unknown.
  const User* find_user_by_id(std::string_view id) const;

  // decide() for a user key resolved through the index.
  Decision decide(const UserKey& key, std::string_view institution_id) const;

 private:
  ServingSnapshot() = default;
  std::shared_ptr<const AccessModel> model_;
  RevisionInfo revision_;
  std::optional<std::int64_t> data_as_of_;
  // fold_case(username) -> stable id ("" = ambiguous); shared by snapshots whose usernames
  // are the same.
  std::shared_ptr<const std::unordered_map<std::string, std::string>> username_to_id_;
};

using SnapshotPtr = std::shared_ptr<const ServingSnapshot>;

// Holds the snapshot being served; swapped atomically. Thread-safe. Readers take a copy of the
// pointer and keep a consistent view for the whole request.
class SnapshotHolder {
 public:
  SnapshotPtr get() const { return current_.load(std::memory_order_acquire); }  // null: not ready
  void set(SnapshotPtr snapshot) { current_.store(std::move(snapshot), std::memory_order_release); }

  // Loads the current revision, manual associations and data_as_of from `store` and swaps them
  // in. Reloads are serialized, so the last reload always publishes the latest state. An empty
  // store (no revision yet) leaves the holder unchanged. Call it after every Store::apply and
  // after every manual association change. Defined in snapshot_loader.cc.
  Result<void> reload(Store& store);
  // As reload(), but with the model just applied as `revision` given from memory rather than
  // read back from SQLite (the propagation hot path); manual associations still come from
  // `store`. Defined in snapshot_loader.cc.
  Result<void> publish(Store& store, std::shared_ptr<const AccessModel> applied,
                       RevisionInfo revision);

  // A sync pass that found nothing to change still makes the data current: the sync loop
  // reports each success here, and answers give the later of this and the snapshot's own.
  void note_sync_success(std::int64_t unix_seconds) {
    std::int64_t seen = last_sync_success_.load();
    while (unix_seconds > seen && !last_sync_success_.compare_exchange_weak(seen, unix_seconds)) {
    }
  }
  // The time the served data is current as of (0 when unknown).
  std::int64_t data_as_of(const ServingSnapshot& snapshot) const {
    return std::max({last_sync_success_.load(), snapshot.data_as_of().value_or(0),
                     snapshot.revision().applied_at});
  }

 private:
  std::atomic<SnapshotPtr> current_;
  std::mutex reload_mutex_;
  std::atomic<std::int64_t> last_sync_success_{0};
};

// The snapshot of `store`'s current state; nullptr when the store has no revision yet.
Result<SnapshotPtr> load_serving_snapshot(Store& store);

}  // namespace trustgate
