#pragma once
// A snapshot as the rules see it: its groups in a stable order, with their normalised DNs.
#include <cstddef>
#include <string>
#include <vector>

#include "mapping/directory_snapshot.h"

namespace trustgate {

struct PreparedSnapshot {
  const DirectorySnapshot* snapshot = nullptr;  // not owned; outlives this
  std::vector<std::string> norm_dns;            // by group index
  // Group indices by normalised DN, then stable id: the order rules are evaluated in, so that
  // results do not depend on the order of the snapshot's groups.
  std::vector<std::size_t> group_order;
};

PreparedSnapshot prepare_snapshot(const DirectorySnapshot& snapshot);

}  // namespace trustgate
