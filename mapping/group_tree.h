#pragma once
// Nested-group resolution, done locally from the groups' member values (no per-user in-chain
// queries). Pure; separately tested.
#include <map>
#include <string>
#include <vector>

#include "mapping/directory_snapshot.h"

namespace trustgate {

class GroupTree {
 public:
  // `groups` are indexed by normalised DN; users by normalised DN and by username (for
  // posixGroup memberUid). Member values that name neither a group nor a user are ignored.
  GroupTree(const std::vector<DirectoryGroup>& groups, const std::vector<DirectoryUser>& users);

  // For one user (by index into the users vector given to the constructor): every group they
  // are in, directly or through nesting, each with the shortest chain from a direct group to
  // it (chain.front() is a direct group, chain.back() the group itself; normalised DNs are
  // mapped back to the DNs as written). Terminates on cycles.
  struct Membership {
    std::size_t group;               // index into the groups vector
    std::vector<std::size_t> chain;  // group indices, direct group first
  };
  std::vector<Membership> memberships_of_user(std::size_t user) const;

  // Every cycle in the nesting graph, each as group DNs (as written), reported once, starting
  // from its lexicographically smallest normalised DN.
  std::vector<std::vector<std::string>> cycles() const;

 private:
  const std::vector<DirectoryGroup>& groups_;
  std::vector<std::vector<std::size_t>> parents_;       // group -> groups that contain it
  std::vector<std::vector<std::size_t>> user_groups_;   // user -> groups that contain it directly
};

}  // namespace trustgate
