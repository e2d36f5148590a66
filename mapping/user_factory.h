#pragma once
// Makes the users of one snapshot from its group tree and rule hits, fast. A user made here is
// exactly take_profile + `enabled` + add_grants(tree.memberships_of_user(u)) +
// canonicalize_grants; what makes it fast stays behind make():
// - only direct groups that lead to a hit (the group, or one containing it at any depth, has a
//   hit) can give grants: a walk up from the others never reaches one that does;
// - a user's canonical grants are a pure function of those groups (in the tree's order), and
//   most users share them with many others, so most users' grants are a copy from a cache
//   instead of a walk.
#include <cstddef>
#include <memory>
#include <unordered_map>
#include <vector>

#include "mapping/directory_snapshot.h"
#include "mapping/group_tree.h"
#include "mapping/rule_hits.h"
#include "mapping/user.h"
#include "mapping/user_from_entry.h"

namespace trustgate {

class UserFactory {
 public:
  // Keeps references to all three; they must outlive the factory. `tree` was built from `s`.
  UserFactory(const DirectorySnapshot& s, const GroupHits& hits, const GroupTree& tree);

  // What one thread's calls share: caches of pure functions, bounded. One per thread (not
  // thread-safe), valid for one factory.
  class Cache {
   private:
    friend class UserFactory;
    struct Grants {
      std::vector<RoleGrant> roles;
      std::vector<Association> associations;
    };
    struct GroupsHash {
      std::size_t operator()(const std::vector<std::size_t>& groups) const;
    };
    // Bounds the memory of a directory where few users share their groups.
    static constexpr std::size_t kMaxGrants = 16384;

    ProvenanceCache provenances_;
    std::unordered_map<std::vector<std::size_t>, Grants, GroupsHash> grants_;
    std::vector<std::size_t> key_;  // reused
  };

  // Entry `user`'s User: profile, `enabled` and grants, canonical. The factory is const and
  // may be shared by threads, each with its own cache.
  std::shared_ptr<User> make(std::size_t user, Cache& cache) const;

  // Appends entry `user`'s grants (not canonicalized) to `into`: for an id in several entries.
  void add_grants_of(User& into, std::size_t user, Cache& cache) const;

 private:
  const DirectorySnapshot& s_;
  const GroupHits& hits_;
  const GroupTree& tree_;
  std::vector<char> leads_to_hit_;  // by group index
};

}  // namespace trustgate
