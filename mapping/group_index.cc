#include "mapping/group_index.h"

#include <algorithm>
#include <numeric>

#include "mapping/dn.h"

namespace trustgate {

GroupIndex::GroupIndex(const std::vector<DirectoryGroup>& groups)
    : source_(groups.data()),
      count_(groups.size()),
      rank_(groups.size(), 0),
      parents_(groups.size()),
      norm_(groups.size()),
      by_dn_(groups.size()),
      members_by_dn_(0) {
  const std::size_t n = groups.size();
  for (std::size_t g = 0; g < n; ++g) norm_[g] = normalize_dn(groups[g].dn);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (norm_[a] != norm_[b]) return norm_[a] < norm_[b];
    if (groups[a].id != groups[b].id) return groups[a].id < groups[b].id;
    return a < b;
  });
  for (std::size_t r = 0; r < n; ++r) rank_[order[r]] = r;
  for (std::size_t g : order) by_dn_.emplace(norm_[g], static_cast<std::uint32_t>(g));

  // Member values: a group's DN is nesting; any other value is numbered once, its bytes kept in
  // members_ (reserved up front: a normalised DN is never longer than the DN, so views into the
  // buffer stay valid), and each (value, group) pair recorded in group order.
  std::size_t values = 0, bytes = 0;
  for (const auto& g : groups) {
    values += g.member_dns.size();
    for (const auto& m : g.member_dns) bytes += m.size();
  }
  members_.reserve(bytes);
  members_by_dn_ = FlatKeyIndex(values / 2);  // grows when values are more distinct than that
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;  // (value number, group)
  pairs.reserve(values);
  std::string key;  // reused: no allocation per value
  std::uint32_t distinct = 0;
  for (std::size_t g = 0; g < n; ++g) {
    for (const std::string& member : groups[g].member_dns) {
      normalize_dn_into(member, key);
      if (const std::uint32_t* nested = by_dn_.find(key)) {
        parents_[*nested].push_back(g);
        continue;
      }
      const std::uint32_t* known = members_by_dn_.find(key);
      std::uint32_t number = known ? *known : distinct;
      if (!known) {
        const std::size_t at = members_.size();
        members_.append(key);
        members_by_dn_.emplace(std::string_view(members_).substr(at, key.size()), distinct++);
      }
      pairs.emplace_back(number, static_cast<std::uint32_t>(g));
    }
  }
  // Groups by value, in group order within a value (a counting sort keeps it stable).
  first_.assign(distinct + 1, 0);
  for (const auto& [number, g] : pairs) ++first_[number + 1];
  std::partial_sum(first_.begin(), first_.end(), first_.begin());
  listing_.resize(pairs.size());
  std::vector<std::uint32_t> next(first_.begin(), first_.end() - 1);
  for (const auto& [number, g] : pairs) listing_[next[number]++] = g;
}

std::span<const std::uint32_t> GroupIndex::groups_listing(std::string_view key) const {
  const std::uint32_t* number = members_by_dn_.find(key);
  if (!number) return {};
  return std::span<const std::uint32_t>(listing_).subspan(first_[*number],
                                                          first_[*number + 1] - first_[*number]);
}

}  // namespace trustgate
