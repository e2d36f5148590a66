#include "mapping/mapping_memo.h"

namespace trustgate {

std::string MappingMemo::GroupStructure::key_of(const DirectoryGroup& g) {
  std::string key;
  for (const std::string* f : {&g.dn, &g.id, &g.name, &g.description}) {
    key += *f;
    key.push_back('\0');
  }
  return key;
}

}  // namespace trustgate
