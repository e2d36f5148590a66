// Kept apart from snapshot.cc: the only part of the snapshot that needs the Store.
#include "daemon/serving/snapshot.h"

namespace trustgate {

Result<SnapshotPtr> load_serving_snapshot(Store& store) {
  auto current = store.load_current();
  if (!current) return std::unexpected(current.error());
  if (!current->has_value()) return SnapshotPtr{};
  auto manual = store.manual_associations();
  if (!manual) return std::unexpected(manual.error());
  auto as_of = store.last_sync_success();
  if (!as_of) return std::unexpected(as_of.error());
  StoredRevision& rev = **current;
  return ServingSnapshot::build(std::move(rev.model), *manual, std::move(rev.info), *as_of);
}

Result<void> SnapshotHolder::publish(Store& store, std::shared_ptr<const AccessModel> applied,
                                     RevisionInfo revision) {
  std::lock_guard lock(reload_mutex_);
  auto manual = store.manual_associations();
  if (!manual) return std::unexpected(manual.error());
  auto as_of = store.last_sync_success();
  if (!as_of) return std::unexpected(as_of.error());
  SnapshotPtr previous = get();
  set(ServingSnapshot::build(std::move(applied), *manual, std::move(revision), *as_of,
                             previous.get()));
  return {};
}

Result<void> SnapshotHolder::reload(Store& store) {
  std::lock_guard lock(reload_mutex_);
  auto snapshot = load_serving_snapshot(store);
  if (!snapshot) return std::unexpected(snapshot.error());
  if (*snapshot) set(std::move(*snapshot));
  return {};
}

}  // namespace trustgate
