#pragma once
// The incremental (memo) path of map_directory: a pass without a group tree.
#include "mapping/mapping_pass.h"

namespace trustgate {

// Maps `pass`'s users from the memo when every source's groups are as in the memo but for
// their user members: a user that no changed member value names and whose entry is unchanged
// has the same direct groups, hence the same User (shared, not copied); only the others, at
// most 1,000, are mapped, their direct groups found by one scan of the member
// values. On success: true, pass.result.model.users complete, cycles and warnings reported as
// the full pass would, the memo brought up to date (incremental = true). Anything else (no
// memo, nesting or group changes, an id in two entries, many users touched): false, having
// changed nothing but pass.result.model.users; the full pass must then run.
bool map_incrementally(MappingPass& pass);

}  // namespace trustgate
