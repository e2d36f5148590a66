#include "mapping/identity_collisions.h"

#include <algorithm>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "mapping/case_fold.h"
#include "mapping/dn.h"
#include "mapping/user_key.h"

namespace trustgate {
namespace {

using Groups = std::unordered_map<std::string, std::vector<std::string>>;

void add_shared(const Groups& groups, IdentityCollision::Kind kind,
                std::vector<IdentityCollision>& out) {
  for (const auto& [key, ids] : groups) {
    if (ids.size() < 2) continue;
    IdentityCollision c{kind, key, ids};
    std::sort(c.ids.begin(), c.ids.end());
    c.ids.erase(std::unique(c.ids.begin(), c.ids.end()), c.ids.end());
    if (c.ids.size() < 2) continue;
    out.push_back(std::move(c));
  }
}

}  // namespace

std::vector<IdentityCollision> find_identity_collisions(const AccessModel& model) {
  Groups by_username, by_dn;
  std::unordered_map<std::string, std::string> lower_id_to_id;
  by_username.reserve(model.users.size());
  lower_id_to_id.reserve(model.users.size());
  for (const auto& [id, user] : model.users) {
    by_username[fold_case(user.username)].push_back(id);
    if (!user.dn.empty()) by_dn[normalize_dn(user.dn)].push_back(id);
    lower_id_to_id.emplace(fold_case(id), id);
  }
  std::vector<IdentityCollision> out;
  add_shared(by_username, IdentityCollision::Kind::SharedUsername, out);
  add_shared(by_dn, IdentityCollision::Kind::SharedDn, out);
  for (const auto& [id, user] : model.users) {
    if (user.username.starts_with(kUserIdPrefix)) {
      out.push_back({IdentityCollision::Kind::UsernameIsIdKey, user.username, {id}});
    }
    auto other = lower_id_to_id.find(fold_case(user.username));
    if (other != lower_id_to_id.end() && other->second != id) {
      std::vector<std::string> ids = {id, other->second};
      std::sort(ids.begin(), ids.end());
      out.push_back({IdentityCollision::Kind::UsernameIsAnId, user.username, std::move(ids)});
    }
  }
  std::sort(out.begin(), out.end(), [](const IdentityCollision& a, const IdentityCollision& b) {
    return std::tie(a.kind, a.key, a.ids) < std::tie(b.kind, b.key, b.ids);
  });
  return out;
}

std::vector<IdentityCollision> find_group_collisions(
    const std::vector<DirectorySnapshot>& snapshots) {
  std::vector<IdentityCollision> out;
  for (const auto& snapshot : snapshots) {
    Groups by_dn;
    by_dn.reserve(snapshot.groups.size());
    for (const auto& g : snapshot.groups)
      if (!g.id.empty() && !g.dn.empty()) by_dn[normalize_dn(g.dn)].push_back(g.id);
    add_shared(by_dn, IdentityCollision::Kind::SharedGroupDn, out);
  }
  std::sort(out.begin(), out.end(), [](const IdentityCollision& a, const IdentityCollision& b) {
    return std::tie(a.key, a.ids) < std::tie(b.key, b.ids);
  });
  return out;
}

std::string describe(const IdentityCollision& c) {
  const std::string ids = fmt::format("{}", fmt::join(c.ids, ", "));
  switch (c.kind) {
    case IdentityCollision::Kind::SharedUsername:
      return fmt::format(
          "username '{}' is held by {} users ({}): it is answered as ambiguous; name them by "
          "id:<stable id>",
          c.key, c.ids.size(), ids);
    case IdentityCollision::Kind::UsernameIsAnId:
      return fmt::format(
          "username '{}' spells another user's stable id (users {}): it names only the user "
          "whose username it is; the other is named by id:",
          c.key, ids);
    case IdentityCollision::Kind::UsernameIsIdKey:
      return fmt::format(
          "username '{}' of user {} begins with id: and can be named only by its "
          "stable id",
          c.key, ids);
    case IdentityCollision::Kind::SharedDn:
      return fmt::format("DN '{}' is held by {} users with different ids ({})", c.key, c.ids.size(),
                         ids);
    case IdentityCollision::Kind::SharedGroupDn:
      return fmt::format(
          "DN '{}' is held by {} groups with different ids ({}): rules and nestings naming it "
          "take them all",
          c.key, c.ids.size(), ids);
  }
  return {};
}

}  // namespace trustgate
