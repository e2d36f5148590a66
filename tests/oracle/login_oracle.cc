#include "tests/oracle/login_oracle.h"

#include <algorithm>

namespace trustgate::oracle {
namespace {

// "$1" in `text` replaced by `capture` (the only placeholder the generator writes).
std::string expand(const std::string& text, const std::string& capture) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '1') {
      out += capture;
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::vector<std::string> sorted(const std::set<std::string>& s) { return {s.begin(), s.end()}; }

}  // namespace

LoginOracle::LoginOracle(const DirectoryModel& model) : model_(model) {
  for (const auto& i : model.institutions) institutions_.insert(i.id);
  for (const auto& rule : model.institution_rules) {
    for (const auto& g : model.groups) {
      if (g.family == rule.family) institutions_.insert(g.capture);
    }
  }
  for (const auto& r : model.roles) roles_.insert(r.id);
  for (const auto& c : model.clusters) clusters_.insert(c.id);
}

bool LoginOracle::is_user(std::size_t p) const {
  const Person& person = model_.people[p];
  return !person.leaver && !person.outside_base && !person.uid.empty();
}

std::vector<std::size_t> LoginOracle::users() const {
  std::vector<std::size_t> out;
  for (std::size_t p = 0; p < model_.people.size(); ++p) {
    if (is_user(p)) out.push_back(p);
  }
  return out;
}

Lookup LoginOracle::lookup(const Query& query) const {
  Lookup result;
  int found = 0;
  for (std::size_t p : users()) {
    const Person& person = model_.people[p];
    const bool match = query.kind == Query::Kind::Id ? person.uuid == query.value
                                                     : person.username_key == query.value;
    if (!match) continue;
    ++found;
    result.person = p;
  }
  if (found == 0) return {Lookup::Status::Unknown, kNone};
  if (found > 1) return {Lookup::Status::Ambiguous, kNone};
  result.status = Lookup::Status::Found;
  return result;
}

// Direct groups, then every group containing one already found, until nothing changes.
std::set<std::size_t> LoginOracle::groups_of(std::size_t p) const {
  std::set<std::size_t> in;
  const auto& groups = model_.groups;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (const auto& ref : groups[g].members) {
      if (ref.kind == MemberRef::Kind::Person && ref.index == p) in.insert(g);
    }
    for (const auto& uid : groups[g].member_uids) {
      if (model_.people[uid.person].username_key == model_.people[p].username_key) in.insert(g);
    }
  }
  bool changed = true;
  while (changed) {
    changed = false;
    for (std::size_t g = 0; g < groups.size(); ++g) {
      if (in.contains(g)) continue;
      for (const auto& ref : groups[g].members) {
        if (ref.kind == MemberRef::Kind::Group && in.contains(ref.index)) {
          in.insert(g);
          changed = true;
          break;
        }
      }
    }
  }
  return in;
}

bool LoginOracle::rule_matches(const Rule& rule, std::size_t g) const {
  if (rule.by == Rule::By::Pattern) return model_.groups[g].family == rule.family;
  return rule.group == g;
}

Expected LoginOracle::expected(std::size_t p) const {
  Expected e;
  e.enabled = !model_.people[p].disabled;
  std::set<std::string> roles, grants, direct, clusters;
  bool all = false;
  for (std::size_t g : groups_of(p)) {
    const std::string& capture = model_.groups[g].capture;
    for (const Rule& rule : model_.rules) {
      if (!rule_matches(rule, g)) continue;
      for (const auto& t : rule.targets.roles) {
        const std::string role = expand(t, capture);
        if (!roles_.contains(role)) continue;
        roles.insert(role);
        grants.insert("role " + role + " by " + rule.id);
      }
      for (const auto& t : rule.targets.institutions) {
        const std::string inst = expand(t, capture);
        if (!institutions_.contains(inst)) continue;
        direct.insert(inst);
        grants.insert("institution " + inst + " by " + rule.id);
      }
      for (const auto& t : rule.targets.clusters) {
        const std::string cluster = expand(t, capture);
        if (!clusters_.contains(cluster)) continue;
        clusters.insert(cluster);
        grants.insert("cluster " + cluster + " by " + rule.id);
      }
      if (rule.targets.all_institutions) {
        all = true;
        grants.insert("all by " + rule.id);
      }
    }
  }
  std::set<std::string> permissions;
  for (const auto& r : model_.roles) {
    if (!roles.contains(r.id)) continue;
    permissions.insert(r.permissions.begin(), r.permissions.end());
  }
  std::set<std::string> associated;
  if (all) {
    associated = institutions_;
  } else {
    associated = direct;
    for (const auto& c : model_.clusters) {
      if (!clusters.contains(c.id)) continue;
      for (const auto& i : c.institutions) {
        if (institutions_.contains(i)) associated.insert(i);
      }
    }
  }
  e.roles = sorted(roles);
  e.permissions = sorted(permissions);
  e.grants = sorted(grants);
  if (e.enabled && permissions.contains(kLoginPermission)) e.loginable = sorted(associated);
  return e;
}

std::string LoginOracle::reason(const Query& query, const std::string& institution) const {
  const Lookup found = lookup(query);
  if (found.status == Lookup::Status::Unknown) return "unknown_user";
  if (found.status == Lookup::Status::Ambiguous) return "ambiguous_user";
  const Expected e = expected(found.person);
  if (!e.enabled) return "user_disabled";
  if (std::find(e.permissions.begin(), e.permissions.end(), kLoginPermission) ==
      e.permissions.end()) {
    return "no_login_permission";
  }
  if (!institutions_.contains(institution)) return "unknown_institution";
  if (std::find(e.loginable.begin(), e.loginable.end(), institution) == e.loginable.end()) {
    return "not_associated";
  }
  return "granted";
}

}  // namespace trustgate::oracle
