#pragma once
// One sync pass: read every source, map, diff against the current revision, check safety,
// apply (or, for a plan, only report). Nothing is applied when a check fails: the last good
// revision keeps serving.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "connectors/directory_source.h"
#include "daemon/config/config.h"
#include "daemon/store/store.h"
#include "mapping/mapper.h"
#include "mapping/model_diff.h"

namespace trustgate {

struct SyncRequest {
  bool apply = true;                // false: a plan (dry run)
  bool allow_mass_removal = false;  // operator override of the safety checks
  ProgressFn progress;              // entries read so far, over all sources
  // The diff lists each changing user with its lines (what `plan` and `sync --once` print) as
  // long as at most this many change; beyond, its counts only (ModelDiff::user_lines_dropped).
  // The daemon's loop asks for kHistoryUserLines: it keeps them for the history, no more.
  std::size_t max_user_lines = SIZE_MAX;
  std::string applied_by = "trustgated";  // for the history: the daemon, or an operator
};

// A revision that changes at most this many users keeps each of them with their lines in the
// store's history (trustgatectl show); a larger one keeps its counts.
inline constexpr std::size_t kHistoryUserLines = 1000;

struct SyncOutcome {
  enum class Kind {
    Applied,    // a new revision was written
    Unchanged,  // the directory matches the current revision; nothing written
    Planned,    // a dry run: `diff` is what an apply would change
    Refused,    // a safety check failed; nothing written
  };
  Kind kind = Kind::Unchanged;
  std::optional<RevisionInfo> revision;  // Applied
  // Applied: the model as written (without manual associations), for serving it without
  // reading it back. Shared with the store's in-memory copy.
  std::shared_ptr<const AccessModel> applied_model;
  ModelDiff diff;                        // against the current revision
  std::vector<std::string> refusals;     // Refused: every failed check, for humans
  std::vector<MappingWarning> warnings;  // from the rule engine, then identity collisions
  std::size_t identity_collisions = 0;   // find_identity_collisions() + find_group_collisions()
  std::vector<std::vector<std::string>> cycles;
  std::map<std::string, std::string> source_errors;  // source -> error; its grants were kept
  std::size_t entries_read = 0;
  std::size_t malformed_entries = 0;
  std::size_t ignored_values = 0;  // undecodable values in attributes no source reads
  // Where the pass spent its time (read: every source; map: mapping + diff, and writing the
  // users when they were streamed; apply: the rest of the store's work), and how many users
  // the mapping reused unchanged from the previous pass.
  struct Timings {
    std::chrono::steady_clock::duration read{}, map{}, apply{};
  } timings;
  std::size_t users_reused = 0;
  bool map_incremental = false;  // the mapping did not rebuild the group tree
  bool users_streamed = false;   // users were written to the store while they were mapped
};

std::string_view to_string(SyncOutcome::Kind k);

class SyncEngine {
 public:
  // `sources` are borrowed and must outlive the engine.
  SyncEngine(const MappingConfig& mapping, const SafetyConfig& safety,
             std::vector<DirectorySource*> sources, Store& store, const Clock& clock);

  // Fails only when the store fails or EVERY source failed; a single failed source keeps its
  // users exactly as in the current revision (one source failing never revokes or grants what
  // it or another source grants) and is reported in SyncOutcome::source_errors.
  Result<SyncOutcome> run(const SyncRequest& request);

  // Saves the sources' resume state (e.g. syncrepl cookies and the view) when a revision was
  // applied since the last save; true when something was written. Applied revisions after the
  // first do not carry it, so the caller saves it when idle and before stopping; a crash in
  // between resumes from an older state, which the directory then brings up to date.
  Result<bool> save_resume_state();
  // How many entries the last successful pass read: the next pass's expected total (none
  // before the first success, or when the store cannot say).
  std::optional<std::size_t> expected_entries();
  // The store's checkpoint(): for after an applied revision is served.
  Result<void> checkpoint_store() { return store_.checkpoint(); }

 private:
  std::vector<std::pair<std::string, std::string>> resume_states(const SyncOutcome& outcome) const;

  MappingConfig mapping_;
  SafetyConfig safety_;
  std::vector<DirectorySource*> sources_;
  Store& store_;
  const Clock& clock_;
  MappingMemo memo_;  // what the next pass may reuse from this one (a cache, never the truth)
  bool state_saved_ = false;  // some resume state was written by this engine
  bool state_dirty_ = false;  // a revision was applied since the last save
};

// The safety checks, pure: every reason to refuse `next` replacing `current`. Empty: safe.
// `snapshots` are those that were read successfully this pass.
std::vector<std::string> safety_refusals(const AccessModel& current, const AccessModel& next,
                                         const ModelDiff& diff,
                                         const std::vector<DirectorySnapshot>& snapshots,
                                         const MappingConfig& mapping, const SafetyConfig& safety);

}  // namespace trustgate
