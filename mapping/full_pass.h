#pragma once
// The full path of map_directory: every source's group tree built, every user mapped (or, with
// a memo whose group structure is unchanged, reused from it).
#include "mapping/mapper.h"
#include "mapping/mapping_pass.h"

namespace trustgate {

// Fills pass.result.model.users (which must be empty) and pass.result.cycles from
// pass.prepared and pass.hits, as map_directory documents, reporting cycles and entries
// without an id. Users whose id is in several entries are merged (profile from the first
// source by name, within one source from the smaller (DN, username); disabled anywhere wins)
// and listed in pass.merged, their grants not yet canonical. With a memo: records this pass's
// groups and users in it; users are reused when its group structure is unchanged.
// `sink`, when given, receives the users as map_directory documents (pass.result.streamed set);
// a throw from it is rethrown.
void map_fully(MappingPass& pass, const UserSink& sink);

}  // namespace trustgate
