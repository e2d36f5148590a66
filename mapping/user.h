#pragma once
// A user of the access model and what they hold, each grant with its provenance. Pure values.
#include <string>
#include <vector>

#include "mapping/provenance.h"

namespace trustgate {

enum class AssociationKind { Institution, Cluster, All };

struct Association {
  AssociationKind kind = AssociationKind::Institution;
  std::string target;  // institution id or cluster id; empty for All
  SharedProvenance via;
  bool operator==(const Association&) const = default;
};

struct RoleGrant {
  std::string role;  // role id
  SharedProvenance via;
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
