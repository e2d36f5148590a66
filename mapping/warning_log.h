#pragma once
// The warnings of one mapping pass, in the order they were raised.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mapping/mapping_warning.h"

namespace trustgate {

class WarningLog {
 public:
  // Adds the warning unless one with the same rule and message was added by warn() before: a
  // problem met in many groups or users is said once.
  void warn(const std::string& rule, std::string message);
  // Adds the warning even when an equal one was added before: one per rule definition (an
  // invalid matcher), so that two rules with one id and one fault both say so.
  void add(MappingWarning warning);

  // Every warning, in order; the log is left empty.
  std::vector<MappingWarning> take();

 private:
  std::vector<MappingWarning> warnings_;
  std::set<std::pair<std::string, std::string>> warned_;  // by warn()
};

}  // namespace trustgate
