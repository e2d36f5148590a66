#pragma once
// What map_directory reports without failing: a rule that matched nothing, an unknown target...
#include <string>

namespace trustgate {

struct MappingWarning {
  std::string rule;  // rule id, or empty
  std::string message;
};

}  // namespace trustgate
