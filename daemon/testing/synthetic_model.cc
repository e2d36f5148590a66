#include "daemon/testing/synthetic_model.h"

#include <fmt/format.h>

#include <iterator>

namespace trustgate {
namespace {

std::string institution_id(std::size_t i) { return fmt::format("{}", 100000 + i); }

Provenance rule_provenance(std::size_t user, std::size_t rule, const std::string& group) {
  Provenance p;
  p.kind = Provenance::Kind::Rule;
  p.rule = fmt::format("rule-{}", rule);
  p.group = group;
  // 1-3 groups: the user's direct group first, ending with the matched group.
  std::size_t depth = 1 + (user + rule) % 3;
  for (std::size_t d = depth; d > 1; --d) {
    p.chain.push_back(fmt::format("CN=Nested-{}-{},OU=Groups,DC=trust,DC=example", user % 40, d));
  }
  p.chain.push_back(group);
  p.source = user % 5 == 0 ? "ldif" : "ad";
  return p;
}

}  // namespace

AccessModel synthetic_model(const SyntheticModelSpec& spec) {
  AccessModel m;
  m.permissions[std::string(kLoginPermission)] =
      Permission{std::string(kLoginPermission), std::string(kLoginPermissionName)};
  m.permissions["mis.reports.view"] = Permission{"mis.reports.view", "View reports"};
  for (std::size_t r = 0; r < spec.roles; ++r) {
    Role role{
        fmt::format("role-{}", r), fmt::format("Role {}", r), {std::string(kLoginPermission)}};
    if (r % 2 == 1) role.permissions.push_back("mis.reports.view");
    m.roles.emplace(role.id, std::move(role));
  }
  for (std::size_t i = 0; i < spec.institutions; ++i) {
    Institution inst{institution_id(i), fmt::format("School {}", i),
                     fmt::format("https://mis-{}.school.example/handoff", i),
                     i % 3 == 0 ? SecondFactorPolicy::Always : SecondFactorPolicy::WhenMfa};
    m.institutions.emplace(inst.id, std::move(inst));
  }
  std::size_t per_cluster =
      spec.clusters == 0 ? 0 : std::max<std::size_t>(1, spec.institutions / spec.clusters);
  for (std::size_t c = 0; c < spec.clusters; ++c) {
    Cluster cluster{fmt::format("cluster-{}", c), fmt::format("Cluster {}", c), {}};
    for (std::size_t i = 0; i < per_cluster && c * per_cluster + i < spec.institutions; ++i) {
      cluster.institutions.push_back(institution_id(c * per_cluster + i));
    }
    m.clusters.emplace(cluster.id, std::move(cluster));
  }
  for (std::size_t u = 0; u < spec.users; ++u) {
    User user;
    user.id = fmt::format("u{:07}", u);
    user.username = fmt::format("user{}", u);
    user.display_name = fmt::format("User Number {}", u);
    user.email = fmt::format("user{}@trust.example", u);
    user.dn = fmt::format("CN=User {},OU=Staff,DC=trust,DC=example", u);
    user.source = u % 5 == 0 ? "ldif" : "ad";
    user.enabled = u % 97 != 0;
    std::size_t grants = 1 + u % 2;
    for (std::size_t g = 0; g < grants && spec.roles > 0; ++g) {
      std::size_t role = (u + g * 3) % spec.roles;
      std::string group = fmt::format("CN=Role-{},OU=Groups,DC=trust,DC=example", role);
      user.roles.push_back(RoleGrant{fmt::format("role-{}", role), rule_provenance(u, g, group)});
    }
    if (u % 50 == 0) {
      user.associations.push_back(
          Association{AssociationKind::All, "",
                      rule_provenance(u, 7, "CN=Trust-Wide,OU=Groups,DC=trust,DC=example")});
    } else if (spec.institutions > 0) {
      std::string inst = institution_id(u % spec.institutions);
      user.associations.push_back(
          Association{AssociationKind::Institution, inst,
                      rule_provenance(u, 8, fmt::format("CN=Staff-{},OU=Groups,DC=trust", inst))});
    }
    if (u % 4 == 1 && spec.clusters > 0) {
      std::size_t c = u % spec.clusters;
      user.associations.push_back(
          Association{AssociationKind::Cluster, fmt::format("cluster-{}", c),
                      rule_provenance(u, 9, fmt::format("CN=Cluster-{},OU=Groups,DC=trust", c))});
    }
    const std::string id = user.id;
    m.users.put(id, std::make_shared<User>(std::move(user)));
  }
  return m;
}

void change_membership(AccessModel& model, std::size_t index) {
  if (model.users.empty() || model.institutions.empty()) return;
  auto it = std::next(model.users.begin(), static_cast<std::ptrdiff_t>(index % model.users.size()));
  User& user = model.users[it->first];
  const std::string extra_group = "CN=Extra-Membership,OU=Groups,DC=trust,DC=example";
  for (auto a = user.associations.begin(); a != user.associations.end(); ++a) {
    if (a->via->group == extra_group) {
      user.associations.erase(a);
      return;
    }
  }
  auto inst = std::next(model.institutions.begin(),
                        static_cast<std::ptrdiff_t>((index * 7 + 1) % model.institutions.size()));
  Provenance via;
  via.rule = "rule-extra";
  via.group = extra_group;
  via.chain = {extra_group};
  via.source = user.source;
  user.associations.push_back(Association{AssociationKind::Institution, inst->first, via});
}

}  // namespace trustgate
