#pragma once
// What the steps of one map_directory call share: its inputs and the result being built.
// Internal to mapping/; one pass, one thread (its steps start their own threads).
#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "mapping/mapper.h"
#include "mapping/mapping_config.h"
#include "mapping/mapping_memo.h"
#include "mapping/prepared_snapshot.h"
#include "mapping/rule_hits.h"
#include "mapping/warning_log.h"

namespace trustgate {

struct MappingPass {
  const MappingConfig& config;
  MappingMemo* memo;                            // nullable
  unsigned max_threads;                         // >= 1
  std::vector<PreparedSnapshot> prepared = {};  // sorted by source name
  std::vector<GroupHits> hits = {};             // by index into `prepared`
  MappingResult result = {};  // being built; its warnings are in `warnings` until the end
  WarningLog warnings = {};
  std::set<std::string> merged = {};  // ids made from several entries: canonicalized at the end

  // A nesting cycle: into result.cycles, with a warning.
  void report_cycle(const std::string& source, std::vector<std::string> cycle);
  // Entries without a stable id are skipped: one warning per source that had any.
  void report_without_id(const std::string& source, std::size_t count);
};

}  // namespace trustgate
