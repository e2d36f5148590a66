#pragma once
// A User from one directory entry: its profile, and the grants of the groups it is in.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "mapping/directory_snapshot.h"
#include "mapping/group_tree.h"
#include "mapping/provenance.h"
#include "mapping/rule_hits.h"
#include "mapping/user.h"

namespace trustgate {

// Sets `user`'s id, username, display name, email, DN and source from the entry (not
// `enabled`, nor grants).
void take_profile(User& user, const DirectoryUser& entry, const std::string& source);

// Provenances made per nesting chain (group indices, the user's direct group first): one per
// rule hit of the chain's last group, shared by every user reached that way. A cache of a pure
// function of (snapshot, hits, chain): valid for one snapshot and its hits, one per thread.
using ProvenanceCache = std::map<std::vector<std::size_t>, std::vector<SharedProvenance>>;

// Appends to `user` (not canonicalized) the roles and associations of every hit of every group
// in `memberships` (of snapshot `s`), each with its provenance: rule, group, source, chain.
void add_grants(User& user, const DirectorySnapshot& s, const GroupHits& hits,
                const std::vector<GroupTree::Membership>& memberships, ProvenanceCache& cache);

}  // namespace trustgate
