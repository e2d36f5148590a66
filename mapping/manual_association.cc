#include "mapping/manual_association.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace trustgate {

AccessModel with_manual(AccessModel model, const std::vector<ManualAssociation>& manual) {
  // Only the users given a manual association change (and are cloned); the rest stay shared.
  std::set<std::string> touched;
  for (const auto& m : manual) {
    if (!model.users.contains(m.user_id)) continue;
    touched.insert(m.user_id);
    Association a;
    a.kind = m.kind;
    a.target = m.kind == AssociationKind::All ? std::string() : m.target;
    Provenance via;
    via.kind = Provenance::Kind::Manual;
    via.source = m.created_by;
    a.via = std::move(via);
    model.users[m.user_id].associations.push_back(std::move(a));
  }
  for (const auto& id : touched) canonicalize_grants(model.users[id]);
  return model;
}

RemovalCheck check_removal(const AccessModel& merged, const std::string& user_id,
                           AssociationKind kind, const std::string& target) {
  RemovalCheck check;
  auto it = merged.users.find(user_id);
  if (it == merged.users.end()) return check;
  const User& user = it->second;
  const std::string wanted = kind == AssociationKind::All ? std::string() : target;
  const std::string what = kind == AssociationKind::All
                               ? std::string("all institutions")
                               : fmt::format("{} {}", to_string(kind), target);

  for (const auto& a : user.associations) {
    if (a.kind == kind && a.target == wanted && a.via->kind == Provenance::Kind::Manual) {
      check.removable = true;
      return check;
    }
  }
  // Held directly through a directory rule: change the directory.
  for (const auto& a : user.associations) {
    if (a.kind == kind && a.target == wanted && a.via->kind == Provenance::Kind::Rule) {
      check.blocking_kind = "group";
      check.blocking_name = a.via->group;
      check.message = fmt::format(
          "{} comes from directory group {} (rule {}); change the group membership in the "
          "directory",
          what, a.via->group, a.via->rule);
      return check;
    }
  }
  if (kind != AssociationKind::Institution) return check;
  for (const auto& a : user.associations) {
    if (a.kind != AssociationKind::Cluster) continue;
    auto c = merged.clusters.find(a.target);
    if (c == merged.clusters.end()) continue;
    const auto& insts = c->second.institutions;
    if (std::find(insts.begin(), insts.end(), target) == insts.end()) continue;
    check.blocking_kind = "cluster";
    check.blocking_name = c->first;
    check.message = fmt::format("{} comes from cluster {} ({}); remove the cluster instead", what,
                                c->second.name.empty() ? c->first : c->second.name, c->first);
    return check;
  }
  for (const auto& a : user.associations) {
    if (a.kind != AssociationKind::All || !merged.institutions.contains(target)) continue;
    check.blocking_kind = "all";
    check.message =
        fmt::format("{} comes from the all-institutions association; remove it instead", what);
    return check;
  }
  return check;
}

}  // namespace trustgate
