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
  // Keeps a reference to `groups`: it must outlive the tree.
  // `groups` are indexed by normalised DN (when two share one, the lower stable id wins); users by
  // normalised DN and by username (for posixGroup memberUid). Member values that name neither a
  // group nor a user are ignored.
  // Member values are resolved on up to `threads` threads when there are many.
  GroupTree(const std::vector<DirectoryGroup>& groups, const std::vector<DirectoryUser>& users,
            unsigned threads = 1);

  // For one user (by index into the users vector given to the constructor): every group they
  // are in, directly or through nesting, each with the shortest chain from a direct group to
  // it (chain.front() is a direct group, chain.back() the group itself; normalised DNs are
  // mapped back to the DNs as written). Terminates on cycles.
  struct Membership {
    std::size_t group;               // index into the groups vector
    std::vector<std::size_t> chain;  // group indices, direct group first
  };
  std::vector<Membership> memberships_of_user(std::size_t user) const;

  // The same walk from given direct groups (sorted by rank, unique) over a `parents` graph as
  // returned by parents(): for callers that kept a tree's graph but not the tree.
  static std::vector<Membership> memberships_from(
      const std::vector<std::size_t>& direct, const std::vector<std::vector<std::size_t>>& parents);

  // Every cycle in the nesting graph, each as group DNs (as written), reported once, starting
  // from its lexicographically smallest normalised DN. Each group in a cycle is a member of
  // the next one (and the last a member of the first). For every group and every group that
  // contains it, the shortest cycle through that edge is reported (so a ring of groups, a
  // self-membership, and several loops through one group are all reported); at most 1000.
  // Nodes of a cycle are still resolved: memberships terminate and include every group once.
  std::vector<std::vector<std::string>> cycles() const;

  // The groups that contain `user` directly (sorted by rank), and those that contain group `g`.
  const std::vector<std::size_t>& direct_groups(std::size_t user) const {
    return user_groups_[user];
  }
  const std::vector<std::vector<std::size_t>>& parents() const { return parents_; }
  const std::vector<std::size_t>& rank() const { return rank_; }  // group -> position in order

 private:
  // Groups in a stable order: by normalised DN, then stable id. Every adjacency list is sorted
  // by rank, so that results do not depend on the order of the input vectors.
  std::vector<std::size_t> rank_;  // group index -> rank
  // Tarjan's strongly connected components of the parents_ graph; a group is in a cycle when
  // its component has more than one group or it contains itself.
  std::vector<std::size_t> component_;

  const std::vector<DirectoryGroup>& groups_;
  std::vector<std::vector<std::size_t>> parents_;      // group -> groups that contain it
  std::vector<std::vector<std::size_t>> user_groups_;  // user -> groups that contain it directly
};

}  // namespace trustgate
