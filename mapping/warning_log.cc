#include "mapping/warning_log.h"

namespace trustgate {

void WarningLog::warn(const std::string& rule, std::string message) {
  if (warned_.emplace(rule, message).second) warnings_.push_back({rule, std::move(message)});
}

void WarningLog::add(MappingWarning warning) { warnings_.push_back(std::move(warning)); }

std::vector<MappingWarning> WarningLog::take() {
  warned_.clear();
  return std::exchange(warnings_, {});
}

}  // namespace trustgate
