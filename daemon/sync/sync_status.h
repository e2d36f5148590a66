#pragma once
// What the sync loop reports about itself: health, progress and the last outcome. A value
// type, copied out under the loop's lock.
#include <cstdint>
#include <optional>
#include <string>

#include "daemon/sync/sync_progress.h"

namespace trustgate {

struct SyncStatus {
  bool degraded = false;        // the last pass failed or was refused
  std::string degraded_reason;  // for humans (health, metrics, STATUS=)
  bool in_progress = false;
  SyncProgress progress;             // of the running pass, or of the last one
  std::string last_outcome;          // "applied", "unchanged", "refused", "failed"
  std::int64_t last_success_at = 0;  // unix seconds, 0 = never
  std::int64_t last_attempt_at = 0;
  std::int64_t passes = 0;
  std::int64_t refused_passes = 0;
  std::int64_t failed_passes = 0;
  std::size_t malformed_entries = 0;  // in the last pass
};

}  // namespace trustgate
