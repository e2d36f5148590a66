#include "mapping/mapping_pass.h"

#include <utility>

#include <fmt/format.h>

namespace trustgate {

void MappingPass::report_cycle(const std::string& source, std::vector<std::string> cycle) {
  warnings.warn(
      "", fmt::format("nested group cycle in source '{}': {}", source, fmt::join(cycle, " -> ")));
  result.cycles.push_back(std::move(cycle));
}

void MappingPass::report_without_id(const std::string& source, std::size_t count) {
  if (count == 0) return;
  warnings.warn("",
                fmt::format("source '{}': {} user(s) without a stable id skipped", source, count));
}

}  // namespace trustgate
