#include "mapping/decision.h"

#include <algorithm>

#include <fmt/format.h>

namespace trustgate {
namespace {

bool role_has_login(const AccessModel& model, const std::string& role_id) {
  auto it = model.roles.find(role_id);
  if (it == model.roles.end()) return false;
  const auto& perms = it->second.permissions;
  return std::find(perms.begin(), perms.end(), kLoginPermission) != perms.end();
}

bool cluster_contains(const AccessModel& model, const std::string& cluster_id,
                      std::string_view institution_id) {
  auto it = model.clusters.find(cluster_id);
  if (it == model.clusters.end()) return false;
  const auto& insts = it->second.institutions;
  return std::find(insts.begin(), insts.end(), institution_id) != insts.end();
}

// The association that grants `institution_id`, preferring direct over cluster over all.
std::optional<Association> granting_association(const AccessModel& model, const User& user,
                                                std::string_view institution_id) {
  const Association* cluster = nullptr;
  const Association* all = nullptr;
  for (const auto& a : user.associations) {
    switch (a.kind) {
      case AssociationKind::Institution:
        if (a.target == institution_id) return a;
        break;
      case AssociationKind::Cluster:
        if (cluster == nullptr && cluster_contains(model, a.target, institution_id)) cluster = &a;
        break;
      case AssociationKind::All:
        if (all == nullptr) all = &a;
        break;
    }
  }
  if (cluster != nullptr) return *cluster;
  if (all != nullptr) return *all;
  return std::nullopt;
}

}  // namespace

Decision decide(const AccessModel& model, const UserKey& key, std::string_view institution_id) {
  return decide(model, model.lookup(key), institution_id);
}

Decision decide(const AccessModel& model, const UserLookup& lookup,
                std::string_view institution_id) {
  Decision d;
  if (lookup.status == UserLookup::Status::Ambiguous) {
    d.reason = reason::kAmbiguousUser;
    d.path = "several users have this username; name one by id:<stable id>";
    return d;
  }
  const User* user = lookup.user;
  if (user == nullptr) {
    d.reason = reason::kUnknownUser;
    d.path = "no staff profile for this user";
    return d;
  }
  d.profile_ok = user->enabled;
  for (const auto& grant : user->roles) {
    if (role_has_login(model, grant.role)) d.permission_via.push_back(grant);
  }
  d.permission_ok = !d.permission_via.empty();
  const Institution* institution = model.find_institution(institution_id);
  if (institution != nullptr) {
    d.association_via = granting_association(model, *user, institution_id);
    d.association_ok = d.association_via.has_value();
  }
  if (d.association_via) d.path = describe(model, *d.association_via);

  if (!d.profile_ok) {
    d.reason = reason::kUserDisabled;
  } else if (!d.permission_ok) {
    d.reason = reason::kNoLoginPermission;
  } else if (institution == nullptr) {
    d.reason = reason::kUnknownInstitution;
  } else if (!d.association_ok) {
    d.reason = reason::kNotAssociated;
  } else {
    d.allowed = true;
    d.reason = reason::kGranted;
  }
  if (d.path.empty()) {
    d.path = institution == nullptr ? fmt::format("unknown institution {}", institution_id)
                                    : fmt::format("not associated with {}", institution->name);
  }
  return d;
}

std::vector<std::string> associated_institutions(const AccessModel& model, const User& user) {
  std::vector<std::string> out;
  for (const auto& a : user.associations) {
    switch (a.kind) {
      case AssociationKind::All:
        // A flag, not a list: covers every institution the model has now.
        out.clear();
        for (const auto& [id, inst] : model.institutions) out.push_back(id);
        return out;
      case AssociationKind::Institution:
        if (model.institutions.contains(a.target)) out.push_back(a.target);
        break;
      case AssociationKind::Cluster:
        if (auto it = model.clusters.find(a.target); it != model.clusters.end()) {
          for (const auto& id : it->second.institutions) {
            if (model.institutions.contains(id)) out.push_back(id);
          }
        }
        break;
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> loginable_institutions(const AccessModel& model, const User& user) {
  if (!user.enabled) return {};
  const bool permitted = std::any_of(user.roles.begin(), user.roles.end(), [&](const RoleGrant& g) {
    return role_has_login(model, g.role);
  });
  if (!permitted) return {};
  return associated_institutions(model, user);
}

std::vector<std::string> permissions_of(const AccessModel& model, const User& user) {
  std::vector<std::string> out;
  for (const auto& grant : user.roles) {
    auto it = model.roles.find(grant.role);
    if (it == model.roles.end()) continue;
    out.insert(out.end(), it->second.permissions.begin(), it->second.permissions.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string describe(const Provenance& p) {
  if (p.kind == Provenance::Kind::Manual) {
    return p.source.empty() ? "manual" : fmt::format("manual, by {}", p.source);
  }
  std::string out = fmt::format("rule {}, group {}", p.rule, p.group);
  if (p.chain.size() > 1) {
    out += "; nested via ";
    for (std::size_t i = 0; i + 1 < p.chain.size(); ++i) {
      if (i > 0) out += " -> ";
      out += p.chain[i];
    }
  }
  return out;
}

std::string describe(const AccessModel& model, const Association& a) {
  std::string what;
  switch (a.kind) {
    case AssociationKind::Institution: {
      auto it = model.institutions.find(a.target);
      what = fmt::format("directly to {}", it == model.institutions.end() || it->second.name.empty()
                                               ? a.target
                                               : it->second.name);
      break;
    }
    case AssociationKind::Cluster: {
      auto it = model.clusters.find(a.target);
      what = fmt::format("via cluster {}", it == model.clusters.end() || it->second.name.empty()
                                               ? a.target
                                               : it->second.name);
      break;
    }
    case AssociationKind::All:
      what = "via all institutions";
      break;
  }
  return fmt::format("{} ({})", what, describe(*a.via));
}

}  // namespace trustgate

namespace trustgate {

std::vector<std::string> explain(const Decision& d) {
  std::vector<std::string> lines;
  if (d.profile_ok) {
    lines.push_back("staff profile: met (the user exists and is enabled)");
  } else if (d.reason == reason::kUnknownUser) {
    lines.push_back("staff profile: not met (no such user)");
  } else {
    lines.push_back("staff profile: not met (the account is disabled)");
  }
  const std::string perm =
      fmt::format("permission \"{}\" ({})", kLoginPermissionName, kLoginPermission);
  if (d.permission_ok) {
    std::string roles;
    for (const auto& g : d.permission_via) {
      if (!roles.empty()) roles += "; ";
      roles += fmt::format("role {} ({})", g.role, describe(*g.via));
    }
    lines.push_back(fmt::format("{}: met, through {}", perm, roles));
  } else {
    lines.push_back(fmt::format("{}: not met (no business role carries it)", perm));
  }
  if (d.association_ok) {
    lines.push_back(fmt::format("associated institution: met, {}", d.path));
  } else if (d.reason == reason::kUnknownUser) {
    lines.push_back("associated institution: not met (no such user)");
  } else {
    lines.push_back(fmt::format("associated institution: not met ({})", d.path));
  }
  return lines;
}

}  // namespace trustgate
