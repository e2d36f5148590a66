#pragma once
// The model's catalog, everything but its users: permissions (the config's and the login
// permission), roles, institutions (the config's and those institution rules define from
// directory groups) and clusters.
#include <vector>

#include "mapping/access_model.h"
#include "mapping/mapping_config.h"
#include "mapping/mapping_memo.h"
#include "mapping/prepared_snapshot.h"
#include "mapping/warning_log.h"

namespace trustgate {

// Fills `model`'s catalog from `config` and the groups of `prepared` (sorted by source name).
// Config institutions take precedence over rule-defined ones; among groups defining the same
// id, the first in (source, DN) order wins. Warns of a role naming an unknown permission, a
// cluster naming an unknown institution, an institution rule that matched no group or gives an
// empty id. `pattern_cache`: as for matches().
void build_catalog(AccessModel& model, const MappingConfig& config,
                   const std::vector<PreparedSnapshot>& prepared, MappingMemo* pattern_cache,
                   WarningLog& warnings);

}  // namespace trustgate
