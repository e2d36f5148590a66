#include "mapping/model_diff.h"

#include <map>
#include <tuple>

#include <fmt/format.h>

namespace trustgate {
namespace {

// What identifies a grant for diffing: its type and target and the rule/group behind it.
// The nesting chain and the source are not part of it: a new chain to the same group is no
// change in access.
struct GrantKey {
  std::string type;  // "role", "institution", "cluster", "all"
  std::string target;
  Provenance::Kind via_kind;
  std::string rule;
  std::string group;
  auto operator<=>(const GrantKey&) const = default;
};

std::map<GrantKey, std::size_t> grant_keys(const User& u) {
  std::map<GrantKey, std::size_t> out;
  for (const auto& r : u.roles) ++out[{"role", r.role, r.via->kind, r.via->rule, r.via->group}];
  for (const auto& a : u.associations) {
    ++out[{std::string(to_string(a.kind)), a.target, a.via->kind, a.via->rule, a.via->group}];
  }
  return out;
}

std::string line(char sign, const GrantKey& k) {
  const std::string what =
      k.type == "all" ? std::string("all institutions") : fmt::format("{} {}", k.type, k.target);
  const std::string via = k.via_kind == Provenance::Kind::Manual
                              ? std::string("manual")
                              : fmt::format("rule {}, group {}", k.rule, k.group);
  return fmt::format("{} {} ({})", sign, what, via);
}

void profile_change(UserDiff& d, std::string_view field, const std::string& before,
                    const std::string& after) {
  if (before != after) d.updated.push_back(fmt::format("~ {}: {} -> {}", field, before, after));
}

UserDiff compare(const User* before, const User* after) {
  UserDiff d;
  const User& any = after != nullptr ? *after : *before;
  d.user_id = any.id;
  d.username = any.username;
  d.change = before == nullptr  ? UserDiff::Change::Added
             : after == nullptr ? UserDiff::Change::Removed
                                : UserDiff::Change::Changed;
  const auto old_keys = before != nullptr ? grant_keys(*before) : std::map<GrantKey, std::size_t>{};
  const auto new_keys = after != nullptr ? grant_keys(*after) : std::map<GrantKey, std::size_t>{};
  for (const auto& [key, n] : new_keys) {
    auto it = old_keys.find(key);
    const std::size_t had = it == old_keys.end() ? 0 : it->second;
    if (n > had) {
      if (had == 0) d.granted.push_back(line('+', key));
      d.grants_added += n - had;
    }
  }
  for (const auto& [key, n] : old_keys) {
    auto it = new_keys.find(key);
    const std::size_t has = it == new_keys.end() ? 0 : it->second;
    if (n > has) {
      if (has == 0) d.revoked.push_back(line('-', key));
      d.grants_removed += n - has;
    }
  }
  if (before != nullptr && after != nullptr) {
    if (before->enabled && !after->enabled) {
      d.revoked.push_back("- enabled");
      ++d.grants_removed;
    } else if (!before->enabled && after->enabled) {
      d.granted.push_back("+ enabled");
      ++d.grants_added;
    }
    profile_change(d, "username", before->username, after->username);
    profile_change(d, "display name", before->display_name, after->display_name);
    profile_change(d, "email", before->email, after->email);
    profile_change(d, "dn", before->dn, after->dn);
    profile_change(d, "source", before->source, after->source);
  }
  return d;
}

template <typename Map, typename Same>
void count_changes(const Map& before, const Map& after, std::size_t* added, std::size_t* removed,
                   std::size_t* changed, Same same) {
  for (const auto& [id, a] : after) {
    auto it = before.find(id);
    if (it == before.end()) {
      ++*added;
    } else if (!same(it->second, a)) {
      ++*changed;
    }
  }
  for (const auto& [id, b] : before) {
    if (!after.contains(id)) ++*removed;
  }
}

}  // namespace

std::string_view to_string(UserDiff::Change change) {
  switch (change) {
    case UserDiff::Change::Added:
      return "added";
    case UserDiff::Change::Removed:
      return "removed";
    case UserDiff::Change::Changed:
      break;
  }
  return "changed";
}

ModelDiff diff_models(const AccessModel& before, const AccessModel& after, DiffDetail detail,
                      std::size_t max_user_lines) {
  ModelDiff diff;
  bool lines = detail == DiffDetail::UserLines;
  const auto& before_users = before.users.entries();
  const auto& after_users = after.users.entries();
  auto b = before_users.begin();
  auto a = after_users.begin();
  // Both maps are ordered by id: one merge pass. A user shared by both models (the same
  // pointer) is unchanged and costs no comparison.
  while (b != before_users.end() || a != after_users.end()) {
    const User* old_user = nullptr;
    const User* new_user = nullptr;
    if (a == after_users.end() || (b != before_users.end() && b->first < a->first)) {
      old_user = (b++)->second.get();
    } else if (b == before_users.end() || a->first < b->first) {
      new_user = (a++)->second.get();
    } else {
      old_user = (b++)->second.get();
      new_user = (a++)->second.get();
      if (old_user == new_user) continue;
    }
    if (!lines && (old_user == nullptr || new_user == nullptr)) {
      // Each grant of an added (removed) user is one grant added (removed), as compare() counts.
      const User& u = old_user != nullptr ? *old_user : *new_user;
      const std::size_t grants = u.roles.size() + u.associations.size();
      if (old_user == nullptr) {
        ++diff.users_added;
        diff.grants_added += grants;
      } else {
        ++diff.users_removed;
        diff.grants_removed += grants;
      }
      continue;
    }
    UserDiff d = compare(old_user, new_user);
    if (d.change == UserDiff::Change::Changed && d.granted.empty() && d.revoked.empty() &&
        d.updated.empty() && d.grants_added == 0 && d.grants_removed == 0) {
      continue;
    }
    switch (d.change) {
      case UserDiff::Change::Added:
        ++diff.users_added;
        break;
      case UserDiff::Change::Removed:
        ++diff.users_removed;
        break;
      case UserDiff::Change::Changed:
        ++diff.users_changed;
        break;
    }
    diff.grants_added += d.grants_added;
    diff.grants_removed += d.grants_removed;
    if (!lines) continue;
    if (diff.users.size() == max_user_lines) {
      lines = false;
      diff.user_lines_dropped = true;
      diff.users.clear();
      diff.users.shrink_to_fit();
      continue;
    }
    diff.users.push_back(std::move(d));
  }

  count_changes(before.institutions, after.institutions, &diff.institutions_added,
                &diff.institutions_removed, &diff.institutions_changed,
                [](const Institution& x, const Institution& y) {
                  return std::tie(x.name, x.mis_url, x.skip_second_factor) ==
                         std::tie(y.name, y.mis_url, y.skip_second_factor);
                });
  std::size_t clusters_added = 0, clusters_removed = 0;
  count_changes(before.clusters, after.clusters, &clusters_added, &clusters_removed,
                &diff.clusters_changed, [](const Cluster& x, const Cluster& y) {
                  return x.name == y.name && x.institutions == y.institutions;
                });
  diff.clusters_changed += clusters_added + clusters_removed;
  std::size_t roles_added = 0, roles_removed = 0;
  count_changes(before.roles, after.roles, &roles_added, &roles_removed, &diff.roles_changed,
                [](const Role& x, const Role& y) {
                  return x.name == y.name && x.permissions == y.permissions;
                });
  diff.roles_changed += roles_added + roles_removed;
  return diff;
}

std::string ModelDiff::summary() const {
  std::string out = fmt::format("users +{} -{} ~{}, grants +{} -{}, institutions +{} -{}",
                                users_added, users_removed, users_changed, grants_added,
                                grants_removed, institutions_added, institutions_removed);
  if (institutions_changed > 0) out += fmt::format(" ~{}", institutions_changed);
  if (clusters_changed > 0) out += fmt::format(", clusters ~{}", clusters_changed);
  if (roles_changed > 0) out += fmt::format(", roles ~{}", roles_changed);
  return out;
}

}  // namespace trustgate
