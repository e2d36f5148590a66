#pragma once
// What map_directory() may reuse from its previous pass over the same sources with the same
// config. A cache of a pure function, never a source of truth: a user's mapped User depends only
// on the config, the groups (names, ids, nesting, hence the rules they match) and the user's own
// entry and direct groups. While every source's groups are unchanged, a user whose entry and
// direct groups are unchanged gets the previous pass's User back (shared, not copied); every
// other user is mapped afresh. A change to any group other than its user members, or a new
// config (a new memo), maps everyone again.
//
// Owned by one sync engine, used by one pass at a time. Not thread-safe.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mapping/directory_snapshot.h"
#include "mapping/user_map.h"

namespace trustgate {

struct MappingMemo {
  // A source's groups as far as mapping is concerned, by index into its snapshot's groups.
  struct GroupStructure {
    std::vector<std::string> groups;                // key_of each group
    std::vector<std::vector<std::size_t>> parents;  // group -> groups containing it
    bool operator==(const GroupStructure&) const = default;

    // A group's dn, id, name and description: what of a group, but its members, mapping reads.
    static std::string key_of(const DirectoryGroup& g);
  };
  struct UserEntry {
    std::string source;
    DirectoryUser entry;
    std::vector<std::size_t> direct_groups;  // indices, valid while the structure is unchanged
    UserMap::Ptr user;                       // what they mapped to
  };

  std::map<std::string, GroupStructure> structure;  // by source name

  // What a pass that does not rebuild the group tree needs of each source's groups as last
  // resolved (see map_directory): their order, member values as read, and nesting cycles.
  struct SourceGroups {
    std::vector<std::size_t> rank;  // group index -> position in the tree's order
    std::vector<std::vector<std::string>> member_dns, member_uids;  // by group index
    std::vector<std::vector<std::string>> cycles;                   // as reported
  };
  std::map<std::string, SourceGroups> groups;  // by source name

  // Results of pattern (regex) matchers: "<pattern>\0<group DN>" -> $0..$9, or nullopt when it
  // did not match. Cleared when it reaches kMaxPatternMatches.
  std::unordered_map<std::string, std::optional<std::vector<std::string>>> pattern_matches;
  static constexpr std::size_t kMaxPatternMatches = 200000;
  std::unordered_map<std::string, UserEntry> users;  // by stable id

  // Figures of the last pass.
  std::size_t reused = 0;
  std::size_t mapped = 0;
  bool incremental = false;  // the group tree was not rebuilt
};

}  // namespace trustgate
