#pragma once
// trustgate's answer to a rendered directory, made as the daemon makes it: load_config on the
// main TOML (with its drop-in folder), make_source for its one source, one snapshot(),
// map_directory, and a ServingSnapshot (what the API serves) built from the model.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "daemon/serving/snapshot.h"

namespace trustgate::oracle {

struct PipelineResult {
  std::shared_ptr<const ServingSnapshot> served;  // null when `error` is set
  std::string error;                              // config issues, source or read failure
  std::vector<std::string> warnings;              // the mapper's
  std::size_t users_read = 0, groups_read = 0, malformed = 0;
};

PipelineResult run_pipeline(const std::string& main_toml);

}  // namespace trustgate::oracle
