#pragma once
// The access model: the domain's view of who may log in where, with provenance for every
// grant. Pure values; ordered maps so that everything derived from it is deterministic.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mapping/user_key.h"
#include "mapping/user_map.h"

namespace trustgate {

// "Login to MIS: Associated institutions".
inline constexpr std::string_view kLoginPermission = "mis.login.associated_institutions";
inline constexpr std::string_view kLoginPermissionName = "Login to MIS: Associated institutions";

struct Permission {
  std::string id;
  std::string name;
};

struct Role {  // a business role
  std::string id;
  std::string name;
  std::vector<std::string> permissions;  // permission ids
};

// When a school site may skip its own second factor for a handed-off login.
enum class SecondFactorPolicy {
  Always,   // always skip
  WhenMfa,  // skip only when the MAT/LA login used MFA
};

struct Institution {
  std::string id;  // e.g. a DfE URN
  std::string name;
  std::string mis_url;  // the school's MIS site: where the handoff redirects
  SecondFactorPolicy skip_second_factor = SecondFactorPolicy::WhenMfa;
};

struct Cluster {
  std::string id;
  std::string name;
  std::vector<std::string> institutions;  // institution ids
};

struct AccessModel {
  std::map<std::string, Permission> permissions;
  std::map<std::string, Role> roles;
  std::map<std::string, Institution> institutions;
  std::map<std::string, Cluster> clusters;
  UserMap users;  // by stable id; users are shared between copies of a model

  // The user `key` names: by stable id (exact) or by username (fold_case()), never one
  // for the other. A username held by several users is Ambiguous. Linear in users for
  // usernames: the serving snapshot keeps an index for the hot path.
  UserLookup lookup(const UserKey& key) const;
  // By stable id only; nullptr when unknown.
  const User* find_user_by_id(std::string_view id) const;
  const Institution* find_institution(std::string_view id) const;
  // Total role grants + associations over all users (the unit the safety threshold counts).
  std::size_t grant_count() const;
};

// A total order on grants (for deterministic output): role/kind, target, then provenance.
bool operator<(const Provenance& a, const Provenance& b);
bool operator<(const RoleGrant& a, const RoleGrant& b);
bool operator<(const Association& a, const Association& b);

// Sorts a user's role grants and associations by the order above and drops exact duplicates.
void canonicalize_grants(User& user);

// ASCII case-insensitive equality and lower-casing (usernames, stable ids).
bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view s);

std::string_view to_string(AssociationKind k);
std::optional<AssociationKind> association_kind_from_string(std::string_view s);
std::string_view to_string(SecondFactorPolicy p);
std::optional<SecondFactorPolicy> second_factor_policy_from_string(std::string_view s);

}  // namespace trustgate
