#include "mapping/access_model.h"

#include <algorithm>
#include <tuple>

#include "mapping/case_fold.h"

namespace trustgate {

UserLookup AccessModel::lookup(const UserKey& key) const {
  if (key.value.empty()) return UserLookup::unknown();
  if (key.kind == UserKey::Kind::Id) {
    const User* u = find_user_by_id(key.value);
    return u == nullptr ? UserLookup::unknown() : UserLookup::found(u);
  }
  const std::string wanted = fold_case(key.value);
  const User* found = nullptr;
  for (const auto& [id, user] : users) {
    if (fold_case(user.username) != wanted) continue;
    if (found != nullptr) return UserLookup::ambiguous();
    found = &user;
  }
  return found == nullptr ? UserLookup::unknown() : UserLookup::found(found);
}

const User* AccessModel::find_user_by_id(std::string_view id) const {
  auto it = users.find(id);
  return it == users.end() ? nullptr : &it->second;
}

const Institution* AccessModel::find_institution(std::string_view id) const {
  auto it = institutions.find(std::string(id));
  return it == institutions.end() ? nullptr : &it->second;
}

std::size_t AccessModel::grant_count() const {
  std::size_t n = 0;
  for (const auto& [id, user] : users) n += user.roles.size() + user.associations.size();
  return n;
}

bool operator<(const Provenance& a, const Provenance& b) {
  return std::tie(a.kind, a.rule, a.group, a.source, a.chain) <
         std::tie(b.kind, b.rule, b.group, b.source, b.chain);
}

bool operator<(const RoleGrant& a, const RoleGrant& b) {
  if (a.role != b.role) return a.role < b.role;
  return *a.via < *b.via;
}

bool operator<(const Association& a, const Association& b) {
  if (a.kind != b.kind) return a.kind < b.kind;
  if (a.target != b.target) return a.target < b.target;
  return *a.via < *b.via;
}

void canonicalize_grants(User& user) {
  std::sort(user.roles.begin(), user.roles.end());
  user.roles.erase(std::unique(user.roles.begin(), user.roles.end()), user.roles.end());
  std::sort(user.associations.begin(), user.associations.end());
  user.associations.erase(std::unique(user.associations.begin(), user.associations.end()),
                          user.associations.end());
}

namespace {
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

std::string_view to_string(AssociationKind k) {
  switch (k) {
    case AssociationKind::Institution:
      return "institution";
    case AssociationKind::Cluster:
      return "cluster";
    case AssociationKind::All:
      return "all";
  }
  return "institution";
}

std::optional<AssociationKind> association_kind_from_string(std::string_view s) {
  if (s == "institution") return AssociationKind::Institution;
  if (s == "cluster") return AssociationKind::Cluster;
  if (s == "all") return AssociationKind::All;
  return std::nullopt;
}

std::string_view to_string(SecondFactorPolicy p) {
  return p == SecondFactorPolicy::Always ? "always" : "when_mfa";
}

std::optional<SecondFactorPolicy> second_factor_policy_from_string(std::string_view s) {
  if (s == "always") return SecondFactorPolicy::Always;
  if (s == "when_mfa") return SecondFactorPolicy::WhenMfa;
  return std::nullopt;
}

}  // namespace trustgate
