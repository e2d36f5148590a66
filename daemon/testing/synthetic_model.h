#pragma once
// Deterministic access models of a realistic shape and size, for store tests and benchmarks.
#include <cstddef>

#include "mapping/access_model.h"

namespace trustgate {

struct SyntheticModelSpec {
  std::size_t users = 1000;
  std::size_t institutions = 100;
  std::size_t clusters = 10;  // each holds a contiguous run of institutions
  std::size_t roles = 8;
};

// Users "u0000000".. with 1-2 role grants and 1-2 associations each (about 3 grants per user;
// every 50th user has All), rule provenance with nesting chains of 1-3 groups, every 97th user
// disabled. The same spec always gives the same model.
AccessModel synthetic_model(const SyntheticModelSpec& spec);

// What a sync sees when one user's group membership changed: user number `index` (mod the
// user count) gains an association with another institution, or loses it when called again.
void change_membership(AccessModel& model, std::size_t index);

}  // namespace trustgate
