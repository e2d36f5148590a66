#pragma once
// The reference answer to "who may log in to which school", computed naively from the abstract
// directory (directory_model.h): no DN or filter is ever parsed, memberships are followed by
// index, nesting is a fixpoint iteration (cycles harmless). Written apart from mapping/, with
// no code shared with it: when the two disagree, one of them is wrong.
//
// The three preconditions (docs: README, design.md): the profile exists and is enabled; the
// permission mis.login.associated_institutions through a business role; an association with
// the school directly, through a cluster, or through all institutions.
#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "tests/oracle/directory_model.h"

namespace trustgate::oracle {

// How a caller names a user, abstractly: by stable id, or by username (its folded key).
struct Query {
  enum class Kind { Id, Username };
  Kind kind = Kind::Id;
  std::string value;  // Id: the stable id, compared exactly; Username: a Person::username_key
};

struct Lookup {
  enum class Status { Found, Unknown, Ambiguous };
  Status status = Status::Unknown;
  std::size_t person = kNone;  // Found
};

// Everything the oracle expects of one user; vectors sorted and unique.
struct Expected {
  bool enabled = true;
  std::vector<std::string> roles;        // role ids
  std::vector<std::string> permissions;  // through the roles
  std::vector<std::string> loginable;    // the drop-down
  // One line per grant and the rule it comes from: "role <id> by <rule>",
  // "institution <id> by <rule>", "cluster <id> by <rule>", "all by <rule>".
  std::vector<std::string> grants;
};

class LoginOracle {
 public:
  explicit LoginOracle(const DirectoryModel& model);

  // A person the source reads as a user: not a leaver, under the users base, with a uid.
  bool is_user(std::size_t person) const;
  std::vector<std::size_t> users() const;

  Lookup lookup(const Query& query) const;
  Expected expected(std::size_t person) const;
  // The decision's reason code for `query` at `institution`: "granted", "unknown_user",
  // "ambiguous_user", "user_disabled", "no_login_permission", "unknown_institution",
  // "not_associated" (the first precondition that fails, in that order).
  std::string reason(const Query& query, const std::string& institution) const;

  // Institutions of the access model: declared, plus those the directory defines.
  const std::set<std::string>& institutions() const { return institutions_; }

 private:
  std::set<std::size_t> groups_of(std::size_t person) const;
  bool rule_matches(const Rule& rule, std::size_t group) const;

  const DirectoryModel& model_;
  std::set<std::string> institutions_, roles_, clusters_;
};

}  // namespace trustgate::oracle
