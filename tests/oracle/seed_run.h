#pragma once
// One seed of the oracle property tests: render the generated directory for a source, run
// trustgate on it, compare with the oracle. The rendered files go to a fresh temp folder that
// is removed when trustgate agrees and kept (its path in the message) when it does not, so that
// a failure can be replayed (`TG_SEED=<seed>`, or trustgatectl --config <folder>/trustgate.toml).
#include <cstdint>
#include <string>
#include <vector>

#include "tests/oracle/directory_model.h"
#include "tests/oracle/directory_render.h"
#include "tests/oracle/oracle_comparison.h"

namespace trustgate::oracle {

struct SeedOutcome {
  bool agreed = false;
  std::string message;  // on disagreement or error: seed, difference, kept folder
  ComparisonStats stats;
  std::size_t users_read = 0, groups_read = 0;
};

SeedOutcome run_seed(const DirectoryModel& model, const SourceSpec& source);

// The seeds to run: TG_SEED=<n> runs only seed n; TG_SEEDS=<n> runs seeds 1..n; otherwise
// 1..default_count.
std::vector<std::uint64_t> seeds_from_env(int default_count);

}  // namespace trustgate::oracle
