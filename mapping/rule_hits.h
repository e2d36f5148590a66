#pragma once
// Which rules each directory group matches, and what each match grants the group's members.
// Rules are evaluated once per group; users then inherit through the group tree.
#include <string>
#include <utility>
#include <vector>

#include "mapping/access_model.h"
#include "mapping/mapping_config.h"
#include "mapping/mapping_memo.h"
#include "mapping/prepared_snapshot.h"
#include "mapping/rule_matcher.h"
#include "mapping/warning_log.h"

namespace trustgate {

// What one rule grants to the members of one group (targets already expanded and checked).
struct RuleHit {
  const MappingRule* rule = nullptr;  // into the config
  std::vector<std::string> roles;
  std::vector<std::pair<AssociationKind, std::string>> associations;
};

// One snapshot's hits by group index (each group's in config order).
struct GroupHits {
  std::vector<std::vector<RuleHit>> by_group;
  bool any = false;  // some group has a hit
};

// The config's mapping rules, compiled once for a pass. Keeps a reference to `config`: it must
// outlive the set and every GroupHits made by it.
class RuleSet {
 public:
  // Warns of every invalid matcher (such a rule matches nothing).
  RuleSet(const MappingConfig& config, WarningLog& warnings);

  // The hits of `p`'s groups: rules of p's source or of none, their targets expanded with the
  // captures and kept when `catalog` has them (unknown ones are skipped with a warning).
  // `pattern_cache`: as for matches().
  GroupHits match(const PreparedSnapshot& p, const AccessModel& catalog, MappingMemo* pattern_cache,
                  WarningLog& warnings);

  // Warns of every valid rule that no match() call has matched.
  void report_unmatched(WarningLog& warnings) const;

 private:
  const MappingConfig& config_;
  std::vector<CompiledMatcher> matchers_;  // by rule index
  std::vector<bool> matched_;              // by rule index
};

}  // namespace trustgate
