#pragma once
// The rule engine: directory snapshots + mapping config -> access model. Pure, deterministic:
// the same inputs give the same model, whatever their order inside a snapshot.
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "mapping/access_model.h"
#include "mapping/directory_snapshot.h"
#include "mapping/mapping_config.h"
#include "mapping/mapping_memo.h"
#include "mapping/mapping_warning.h"

namespace trustgate {

struct MappingResult {
  AccessModel model;
  bool streamed = false;                 // every user of `model` went through the sink, in order
  std::vector<MappingWarning> warnings;  // e.g. a rule that matched no group, an unknown role
  std::vector<std::vector<std::string>> cycles;  // nesting cycles found (group DNs)
};

// Institutions and clusters: those of the config plus those defined by institution rules.
// Permissions: the config's plus the login permission. Users: all users of all snapshots
// (disabled ones included, marked disabled). A user is granted a rule's roles and
// associations when they are in a matching group directly or through nesting. Targets that
// name an unknown role, institution or cluster are skipped with a warning. Duplicate grants
// (same target, same provenance) are kept once.
// `memo` (optional) lets a pass reuse the users of the previous one; the result is the same
// with or without it (see mapping/mapping_memo.h).
// Users are mapped on up to `max_threads` threads when there are many (0: as many as the
// machine has, at most 4); the result is the same on any number.
// `sink` (optional) receives the model's users while the next ones are still being made, so
// that a caller can write them meanwhile: in increasing id order, each user once, in calls on
// the calling thread, before map_directory returns. It is used, and `streamed` set, only for
// a pass that makes every user of one snapshot whose users' ids are distinct (a first or full
// sync of one source); otherwise it is never called. A throw from the sink is rethrown.
using UserSink = std::function<void(std::span<const UserMap::Ptr>)>;
MappingResult map_directory(const std::vector<DirectorySnapshot>& snapshots,
                            const MappingConfig& config, MappingMemo* memo = nullptr,
                            unsigned max_threads = 0, const UserSink& sink = {});

}  // namespace trustgate
