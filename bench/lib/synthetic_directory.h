#pragma once
// A deterministic synthetic LA directory for benchmarks: users, per-school staff groups,
// role groups, cluster groups and a nesting chain, plus the mapping config that goes with it.
#include <cstddef>
#include <ostream>

#include "mapping/directory_snapshot.h"
#include "mapping/mapping_config.h"

namespace trustgate::bench {

struct SyntheticShape {
  std::size_t users = 100'000;
  std::size_t groups = 2'000;  // total, including school, role and cluster groups
  std::size_t schools = 500;
  std::size_t nesting_depth = 5;
  std::size_t big_group_members = 5'000;  // one group this large
  std::string base = "dc=la,dc=example";
};

struct SyntheticDirectory {
  DirectorySnapshot snapshot;
  MappingConfig mapping;
};

// Same shape, same output, every time.
SyntheticDirectory make_synthetic_directory(const SyntheticShape& shape);

// The snapshot as LDIF (with ou entries first), for slapadd / ldapadd.
void write_ldif(std::ostream& out, const SyntheticDirectory& dir, const SyntheticShape& shape);

}  // namespace trustgate::bench
