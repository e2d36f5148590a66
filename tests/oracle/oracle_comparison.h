#pragma once
// Compares what trustgate serves for a directory with what the oracle expects, user by user:
// lookup by id:<stable id> and by a username spelt in another case, enabled, business roles,
// permissions, grants with their rules, the drop-down, and the decision's reason for chosen
// (user, school) pairs, including unknown and ambiguous users and unknown schools.
#include <cstddef>
#include <map>
#include <optional>
#include <string>

#include "daemon/serving/snapshot.h"
#include "tests/oracle/directory_model.h"

namespace trustgate::oracle {

struct ComparisonStats {
  std::size_t users = 0;                       // users compared (every user of the oracle)
  std::size_t lookups = 0;                     // user names looked up
  std::size_t decisions = 0;                   // (user, school) decisions compared
  std::map<std::string, std::size_t> reasons;  // the oracle's reasons of those decisions
};

struct Difference {
  std::string who;   // the user key as the API spells it, and the person's DN
  std::string what;  // which answer differs
  std::string trustgate, oracle;
};

// The first difference, or nothing. Adds what was compared to `stats`.
std::optional<Difference> compare_with_oracle(const DirectoryModel& model,
                                              const ServingSnapshot& served,
                                              ComparisonStats& stats);

std::string to_string(const Difference& d);

}  // namespace trustgate::oracle
