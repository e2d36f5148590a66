#pragma once
// A MappingConfig written back as trustgate.toml tables ([[permission]], [[role]],
// [[institution]], [[cluster]], [[rule]]), for benchmarks that run the real daemon.
#include <string>

#include "mapping/mapping_config.h"

namespace trustgate::bench {

std::string mapping_toml(const MappingConfig& m);

}  // namespace trustgate::bench
