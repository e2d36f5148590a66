#include "mapping/user_factory.h"

#include "mapping/access_model.h"

namespace trustgate {
namespace {

// By group index: whether the group, or a group containing it at any depth, has a hit. Marked
// down from every group with hits, through the groups each contains.
std::vector<char> groups_leading_to_hits(const GroupHits& hits, const GroupTree& tree) {
  const auto& parents = tree.parents();
  std::vector<std::vector<std::size_t>> children(parents.size());
  for (std::size_t g = 0; g < parents.size(); ++g) {
    for (std::size_t parent : parents[g]) children[parent].push_back(g);
  }
  std::vector<char> leads(parents.size(), 0);
  std::vector<std::size_t> todo;
  for (std::size_t g = 0; g < hits.by_group.size(); ++g) {
    if (!hits.by_group[g].empty()) {
      leads[g] = 1;
      todo.push_back(g);
    }
  }
  while (!todo.empty()) {
    const std::size_t g = todo.back();
    todo.pop_back();
    for (std::size_t child : children[g]) {
      if (leads[child]) continue;
      leads[child] = 1;
      todo.push_back(child);
    }
  }
  return leads;
}

}  // namespace

std::size_t UserFactory::Cache::GroupsHash::operator()(
    const std::vector<std::size_t>& groups) const {
  std::size_t h = groups.size();
  for (std::size_t g : groups) h = h * 1099511628211u ^ g;
  return h;
}

UserFactory::UserFactory(const DirectorySnapshot& s, const GroupHits& hits, const GroupTree& tree)
    : s_(s), hits_(hits), tree_(tree), leads_to_hit_(groups_leading_to_hits(hits, tree)) {}

std::shared_ptr<User> UserFactory::make(std::size_t u, Cache& c) const {
  const DirectoryUser& du = s_.users[u];
  auto user = std::make_shared<User>();
  take_profile(*user, du, s_.source);
  user->enabled = du.enabled;
  if (!hits_.any) return user;
  c.key_.clear();
  for (std::size_t g : tree_.direct_groups(u)) {
    if (leads_to_hit_[g]) c.key_.push_back(g);
  }
  if (auto it = c.grants_.find(c.key_); it != c.grants_.end()) {
    user->roles = it->second.roles;
    user->associations = it->second.associations;
    return user;
  }
  add_grants_of(*user, u, c);
  canonicalize_grants(*user);
  if (c.grants_.size() < Cache::kMaxGrants) {
    c.grants_.emplace(c.key_, Cache::Grants{user->roles, user->associations});
  }
  return user;
}

void UserFactory::add_grants_of(User& into, std::size_t u, Cache& c) const {
  if (!hits_.any) return;
  add_grants(into, s_, hits_, tree_.memberships_of_user(u), c.provenances_);
}

}  // namespace trustgate
