#include "mapping/group_tree.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string_view>
#include <thread>
#include <utility>

#include "mapping/access_model.h"
#include "mapping/dn.h"
#include "mapping/flat_key_index.h"

namespace trustgate {
namespace {

constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
constexpr std::size_t kMaxCycles = 1000;

void sort_unique_by_rank(std::vector<std::size_t>& v, const std::vector<std::size_t>& rank) {
  std::sort(v.begin(), v.end(), [&](std::size_t a, std::size_t b) { return rank[a] < rank[b]; });
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// Iterative Tarjan: component id per node.
std::vector<std::size_t> strongly_connected(const std::vector<std::vector<std::size_t>>& next) {
  const std::size_t n = next.size();
  std::vector<std::size_t> index(n, kNone), low(n, 0), component(n, kNone);
  std::vector<bool> on_stack(n, false);
  std::vector<std::size_t> stack;
  std::vector<std::pair<std::size_t, std::size_t>> call;  // (node, next edge to visit)
  std::size_t counter = 0, components = 0;
  for (std::size_t root = 0; root < n; ++root) {
    if (index[root] != kNone) continue;
    call.push_back({root, 0});
    index[root] = low[root] = counter++;
    stack.push_back(root);
    on_stack[root] = true;
    while (!call.empty()) {
      auto& [v, edge] = call.back();
      if (edge < next[v].size()) {
        const std::size_t w = next[v][edge++];
        if (index[w] == kNone) {
          index[w] = low[w] = counter++;
          stack.push_back(w);
          on_stack[w] = true;
          call.push_back({w, 0});
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      const std::size_t done = v;
      call.pop_back();
      if (!call.empty()) low[call.back().first] = std::min(low[call.back().first], low[done]);
      if (low[done] == index[done]) {
        std::size_t w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = false;
          component[w] = components;
        } while (w != done);
        ++components;
      }
    }
  }
  return component;
}

// Below this many member values per thread, threads cost more than they save.
constexpr std::size_t kMembersPerThread = 32768;

// (index value, group) for every member DN found in `by_dn`, as runs of groups in order, one
// run per thread.
std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> resolve_members(
    const std::vector<DirectoryGroup>& groups, const FlatKeyIndex& by_dn, unsigned threads) {
  std::size_t total = 0;
  for (const auto& g : groups) total += g.member_dns.size();
  const std::size_t runs =
      std::max<std::size_t>(1, std::min<std::size_t>(threads, total / kMembersPerThread));
  // Runs of about the same number of member values.
  std::vector<std::size_t> bounds = {0};
  std::size_t seen = 0;
  for (std::size_t g = 0; g < groups.size() && bounds.size() < runs; ++g) {
    seen += groups[g].member_dns.size();
    if (seen * runs >= total * bounds.size()) bounds.push_back(g + 1);
  }
  bounds.push_back(groups.size());
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> hits(bounds.size() - 1);
  auto resolve = [&](std::size_t run) {
    std::string key;  // reused: no allocation per member value
    for (std::size_t g = bounds[run]; g < bounds[run + 1]; ++g) {
      for (const std::string& member : groups[g].member_dns) {
        normalize_dn_into(member, key);
        if (const std::uint32_t* found = by_dn.find(key))
          hits[run].emplace_back(*found, static_cast<std::uint32_t>(g));
      }
    }
  };
  {
    std::vector<std::jthread> workers;
    for (std::size_t run = 1; run < hits.size(); ++run) workers.emplace_back(resolve, run);
    resolve(0);
  }  // joined
  return hits;
}

}  // namespace

GroupTree::GroupTree(const std::vector<DirectoryGroup>& groups,
                     const std::vector<DirectoryUser>& users, unsigned threads)
    : groups_(groups), parents_(groups.size()), user_groups_(users.size()) {
  const std::size_t n = groups.size();
  std::vector<std::string> norm(n);
  for (std::size_t g = 0; g < n; ++g) norm[g] = normalize_dn(groups[g].dn);

  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (norm[a] != norm[b]) return norm[a] < norm[b];
    if (groups[a].id != groups[b].id) return groups[a].id < groups[b].id;
    return a < b;
  });
  rank_.assign(n, 0);
  for (std::size_t r = 0; r < n; ++r) rank_[order[r]] = r;

  // One index of normalised DNs for groups and users: a member value is looked up once. A
  // value is a group's (nesting) before it is a user's, as groups are inserted first; of groups
  // sharing a DN the first in rank order wins. Users sharing a DN are chained by `same_key`
  // (the index holds the last one). Values: g for group g, n + u for user u.
  const std::size_t n_users = users.size();
  FlatKeyIndex by_dn(n + n_users);
  for (std::size_t g : order) by_dn.emplace(norm[g], static_cast<std::uint32_t>(g));

  // Users' normalised DNs in one buffer, indexed only once it is complete (a normalised DN may
  // be longer than the DN as written, so the buffer may move while it fills): no allocation per
  // user. User u's key is user_norm[key_end[u - 1], key_end[u]).
  std::string user_norm;
  std::vector<std::size_t> key_end(n_users, 0);
  std::string key;  // reused: no allocation per DN or member value
  {
    std::size_t total = 0;
    for (const auto& u : users) total += u.dn.size();
    user_norm.reserve(total);
    for (std::size_t u = 0; u < n_users; ++u) {
      if (!users[u].dn.empty()) {
        normalize_dn_into(users[u].dn, key);
        user_norm.append(key);
      }
      key_end[u] = user_norm.size();
    }
  }
  std::vector<std::size_t> same_key(n_users, kNone);
  for (std::size_t u = 0; u < n_users; ++u) {
    if (users[u].dn.empty()) continue;
    const std::size_t at = u == 0 ? 0 : key_end[u - 1];
    auto [value, inserted] = by_dn.emplace(std::string_view(user_norm).substr(at, key_end[u] - at),
                                           static_cast<std::uint32_t>(n + u));
    if (inserted || value < n) continue;  // new, or the DN of a group
    same_key[u] = value - n;
    value = static_cast<std::uint32_t>(n + u);
  }
  const bool any_uids = std::any_of(groups.begin(), groups.end(),
                                    [](const DirectoryGroup& g) { return !g.member_uids.empty(); });
  std::vector<std::size_t> same_name(any_uids ? n_users : 0, kNone);
  std::vector<std::string> user_lower(any_uids ? n_users : 0);
  FlatKeyIndex by_name(any_uids ? n_users : 0);
  if (any_uids) {
    for (std::size_t u = 0; u < n_users; ++u) {
      if (users[u].username.empty()) continue;
      user_lower[u] = to_lower(users[u].username);
      auto [value, inserted] = by_name.emplace(user_lower[u], static_cast<std::uint32_t>(u));
      if (!inserted) {
        same_name[u] = value;
        value = static_cast<std::uint32_t>(u);
      }
    }
  }

  // Member values are normalised and looked up on several threads when there are many, each
  // over a run of groups; the hits are then recorded here in group order, as on one thread.
  for (const auto& hits : resolve_members(groups, by_dn, threads)) {
    for (const auto& [found, g] : hits) {
      if (found < n) {
        parents_[found].push_back(g);
      } else {
        for (std::size_t user = found - n; user != kNone; user = same_key[user]) {
          user_groups_[user].push_back(g);
        }
      }
    }
  }
  for (std::size_t g = 0; g < n; ++g) {
    for (const std::string& uid : groups[g].member_uids) {
      key = to_lower(uid);
      if (const std::uint32_t* found = by_name.find(key)) {
        for (std::size_t user = *found; user != kNone; user = same_name[user]) {
          user_groups_[user].push_back(g);
        }
      }
    }
  }
  for (auto& p : parents_) sort_unique_by_rank(p, rank_);
  for (auto& p : user_groups_) sort_unique_by_rank(p, rank_);
  component_ = strongly_connected(parents_);
}

std::vector<GroupTree::Membership> GroupTree::memberships_of_user(std::size_t user) const {
  if (user >= user_groups_.size()) return {};
  return memberships_from(user_groups_[user], parents_);
}

std::vector<GroupTree::Membership> GroupTree::memberships_from(
    const std::vector<std::size_t>& direct, const std::vector<std::vector<std::size_t>>& parents) {
  std::vector<Membership> out;
  // Visited marks without an O(groups) clear per call: a per-thread stamp array.
  thread_local std::vector<std::uint64_t> stamp;
  thread_local std::uint64_t epoch = 0;
  if (stamp.size() < parents.size()) stamp.resize(parents.size(), 0);
  const std::uint64_t mark = ++epoch;

  for (std::size_t g : direct) {
    if (stamp[g] == mark) continue;
    stamp[g] = mark;
    out.push_back(Membership{g, {g}});
  }
  // Breadth-first: the first time a group is reached is through a shortest chain.
  for (std::size_t head = 0; head < out.size(); ++head) {
    const std::size_t g = out[head].group;
    for (std::size_t parent : parents[g]) {
      if (stamp[parent] == mark) continue;
      stamp[parent] = mark;
      std::vector<std::size_t> chain;
      chain.reserve(out[head].chain.size() + 1);
      chain = out[head].chain;
      chain.push_back(parent);
      out.push_back(Membership{parent, std::move(chain)});
    }
  }
  return out;
}

std::vector<std::vector<std::string>> GroupTree::cycles() const {
  const std::size_t n = groups_.size();
  std::vector<std::size_t> component_size(n, 0);
  for (std::size_t g = 0; g < n; ++g) ++component_size[component_[g]];

  std::vector<std::size_t> order(n);
  for (std::size_t g = 0; g < n; ++g) order[rank_[g]] = g;

  std::vector<std::vector<std::string>> out;
  std::vector<std::size_t> pred(n, kNone);
  std::vector<std::size_t> touched;
  for (std::size_t start : order) {
    const bool self_loop =
        std::binary_search(parents_[start].begin(), parents_[start].end(), start,
                           [&](std::size_t a, std::size_t b) { return rank_[a] < rank_[b]; });
    if (component_size[component_[start]] < 2 && !self_loop) continue;
    for (std::size_t first : parents_[start]) {
      if (out.size() >= kMaxCycles) return out;
      if (first == start) {
        out.push_back({groups_[start].dn});
        continue;
      }
      // Only cycles whose smallest group is `start` are reported from here.
      if (component_[first] != component_[start] || rank_[first] < rank_[start]) continue;
      // Shortest path first -> ... -> start, through groups ranked above start.
      for (std::size_t t : touched) pred[t] = kNone;
      touched.clear();
      std::vector<std::size_t> queue{first};
      pred[first] = start;
      touched.push_back(first);
      bool found = false;
      std::size_t last = kNone;
      for (std::size_t head = 0; head < queue.size() && !found; ++head) {
        const std::size_t g = queue[head];
        for (std::size_t p : parents_[g]) {
          if (p == start) {
            found = true;
            last = g;
            break;
          }
          if (pred[p] != kNone || component_[p] != component_[start] || rank_[p] < rank_[start]) {
            continue;
          }
          pred[p] = g;
          touched.push_back(p);
          queue.push_back(p);
        }
      }
      if (!found) continue;
      std::vector<std::string> cycle;
      for (std::size_t g = last; g != start; g = pred[g]) cycle.push_back(groups_[g].dn);
      cycle.push_back(groups_[start].dn);
      std::reverse(cycle.begin(), cycle.end());
      out.push_back(std::move(cycle));
    }
  }
  return out;
}

}  // namespace trustgate
