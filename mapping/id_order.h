#pragma once
// A snapshot's users in the order of their stable ids: the order a streaming sink receives
// them in (see map_directory).
#include <cstddef>
#include <vector>

#include "mapping/directory_snapshot.h"

namespace trustgate {

struct IdOrder {
  std::vector<std::size_t> users;  // indices into the snapshot's users with an id, by id
  std::size_t without_id = 0;      // users left out: their id is empty
  bool distinct = false;           // no id twice
};

// Ids compare as std::string does (bytes as unsigned); entries with equal ids keep no
// particular order among themselves.
IdOrder id_order(const DirectorySnapshot& s);

}  // namespace trustgate
