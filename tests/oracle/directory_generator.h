#pragma once
// Random realistic directories for the oracle tests: schools, clusters, staff, nested groups
// with cycles, school-staff / cluster / role groups matched by patterns, an all-institutions
// group, leavers, disabled accounts, users in no group, shared usernames, escaped and non-ASCII
// DNs, member values naming nobody. Deterministic per seed (std::mt19937_64, no
// distributions whose output the standard leaves to the library).
#include <cstdint>

#include "tests/oracle/directory_model.h"

namespace trustgate::oracle {

struct GeneratorOptions {
  int min_people = 20, max_people = 150;
  int min_schools = 3, max_schools = 20;
};

DirectoryModel generate_directory(std::uint64_t seed, const GeneratorOptions& options = {});

}  // namespace trustgate::oracle
