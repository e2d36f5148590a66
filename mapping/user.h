#pragma once
// A user of the access model and what they hold, each grant with its provenance. Pure values.
#include <string>
#include <vector>

namespace trustgate {

// Why a user holds a role or an association.
struct Provenance {
  enum class Kind { Rule, Manual };
  Kind kind = Kind::Rule;
  std::string rule;   // Kind::Rule: the rule id
  std::string group;  // Kind::Rule: DN of the group the rule matched
  // Kind::Rule: the nesting chain, user's direct group first, ending with `group`. Size 1 when
  // the user is a direct member.
  std::vector<std::string> chain;
  std::string source;  // Kind::Rule: the directory source; Kind::Manual: who made it
  bool operator==(const Provenance&) const = default;
};

enum class AssociationKind { Institution, Cluster, All };

struct Association {
  AssociationKind kind = AssociationKind::Institution;
  std::string target;  // institution id or cluster id; empty for All
  Provenance via;
  bool operator==(const Association&) const = default;
};

struct RoleGrant {
  std::string role;  // role id
  Provenance via;
  bool operator==(const RoleGrant&) const = default;
};

struct User {
  std::string id;  // stable id
  std::string username;
  std::string display_name;
  std::string email;
  std::string dn;
  std::string source;
  bool enabled = true;
  std::vector<RoleGrant> roles;
  std::vector<Association> associations;
  bool operator==(const User&) const = default;
};

}  // namespace trustgate
