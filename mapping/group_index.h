#pragma once
// What the group tree needs from the groups alone: their normalised DNs and rank, the nesting
// edges, and every other member value (normalised) with the groups that list it. A pure
// function of the groups, so a connector can build it while it still reads the users (the
// groups arrive first) and the tree then only looks each user's DN up.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mapping/directory_snapshot.h"
#include "mapping/flat_key_index.h"

namespace trustgate {

class GroupIndex {
 public:
  explicit GroupIndex(const std::vector<DirectoryGroup>& groups);
  GroupIndex(const GroupIndex&) = delete;
  GroupIndex& operator=(const GroupIndex&) = delete;

  // True when built from this very vector, unchanged in size (a vector moved keeps its
  // elements where they are; entries must not be edited after the index is built).
  bool built_from(const std::vector<DirectoryGroup>& groups) const {
    return groups.data() == source_ && groups.size() == count_;
  }

  // Groups in a stable order: by normalised DN, then stable id, then position.
  const std::vector<std::size_t>& rank() const { return rank_; }
  // group -> groups whose member values name it (not yet sorted or unique).
  const std::vector<std::vector<std::size_t>>& parents() const { return parents_; }
  // The group whose normalised DN is `key` (of groups sharing one, the first in rank order).
  const std::uint32_t* group_with_dn(std::string_view key) const { return by_dn_.find(key); }
  // The groups (in group order, repeated when a group lists the value twice) whose member
  // values name `key` (normalised), which is not a group's DN; empty when none does.
  std::span<const std::uint32_t> groups_listing(std::string_view key) const;

 private:
  const DirectoryGroup* source_;
  std::size_t count_;
  std::vector<std::size_t> rank_;
  std::vector<std::vector<std::size_t>> parents_;
  std::vector<std::string> norm_;  // normalised group DNs: by_dn_'s keys
  FlatKeyIndex by_dn_;
  std::string members_;  // normalised member values that are not group DNs: members_by_dn_'s keys
  FlatKeyIndex members_by_dn_;        // value -> its number
  std::vector<std::uint32_t> first_;  // value number -> first of its groups in listing_
  std::vector<std::uint32_t> listing_;
};

}  // namespace trustgate
