#pragma once
// A full sync's apply, overlapped with its mapping: map_directory hands the users it has made
// to sink() (in id order) and they are written to a Store::Revision while it makes the next
// ones; apply() then writes the rest and commits. When the mapping did not stream (several
// sources, repeated ids, an incremental pass) apply() is a plain Store::apply. Either way the
// store ends up with the same revision; nothing is visible before apply() returns.
#include <memory>
#include <optional>

#include "common/error.h"
#include "daemon/store/store.h"
#include "mapping/mapper.h"

namespace trustgate {

class RevisionStream {
 public:
  explicit RevisionStream(Store& store) : store_(store) {}

  // For map_directory. The first call begins the store's revision (taking the store's lock
  // until apply() or abandon()); a failure is kept for apply() and later users are dropped.
  UserSink sink();
  // Applies `model` as the next revision: commits the streamed revision when `streamed` (the
  // model's users must be the ones the sink got), else Store::apply.
  Result<RevisionInfo> apply(bool streamed, std::shared_ptr<const AccessModel> model,
                             const ApplyOptions& options);
  // Drops what was streamed (a sync that is refused or changes nothing): rolls back and
  // releases the store. Call it before using the store again on this thread.
  void abandon() { revision_.reset(); }

 private:
  // Begins the store's revision unless it is begun; false (the error kept) when it cannot be.
  bool begun();

  Store& store_;
  std::unique_ptr<Store::Revision> revision_;
  std::optional<Error> failed_;
};

}  // namespace trustgate
