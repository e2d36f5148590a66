#include "mapping/prepared_snapshot.h"

#include <algorithm>
#include <numeric>

#include "mapping/dn.h"

namespace trustgate {

PreparedSnapshot prepare_snapshot(const DirectorySnapshot& s) {
  PreparedSnapshot p;
  p.snapshot = &s;
  p.norm_dns.reserve(s.groups.size());
  for (const auto& g : s.groups) p.norm_dns.push_back(normalize_dn(g.dn));
  p.group_order.resize(s.groups.size());
  std::iota(p.group_order.begin(), p.group_order.end(), std::size_t{0});
  std::sort(p.group_order.begin(), p.group_order.end(), [&](std::size_t a, std::size_t b) {
    if (p.norm_dns[a] != p.norm_dns[b]) return p.norm_dns[a] < p.norm_dns[b];
    return s.groups[a].id < s.groups[b].id;
  });
  return p;
}

}  // namespace trustgate
