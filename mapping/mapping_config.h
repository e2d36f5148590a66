#pragma once
// Typed, validated mapping configuration (the config loader fills it from TOML).
#include <optional>
#include <string>
#include <vector>

#include "mapping/access_model.h"

namespace trustgate {

// How a rule names a directory group.
struct GroupMatcher {
  enum class Kind {
    Dn,        // exact DN (compared normalised)
    StableId,  // entryUUID / objectGUID: survives renames and moves
    Pattern,   // RE2 regex (group_pattern.h), case-insensitive, matched against the WHOLE DN;
              // captures are available as $1..$9 in the rule's targets
  };
  Kind kind = Kind::Dn;
  std::string value;
};

struct MappingRule {
  std::string id;
  GroupMatcher group;
  std::optional<std::string> source;  // only groups of this source, when set
  // Targets; each string may use $1..$9 from a Pattern matcher.
  std::vector<std::string> roles;
  std::vector<std::string> institutions;
  std::vector<std::string> clusters;
  bool all_institutions = false;
};

// Institutions defined by the directory: every group matching `group` (usually a Pattern)
// defines an institution. Templates may use $1..$9, {name} (the group's cn) and
// {description}.
struct InstitutionRule {
  std::string id;
  GroupMatcher group;
  std::string institution_id = "$1";
  std::string name = "{description}";
  std::string mis_url;
  SecondFactorPolicy skip_second_factor = SecondFactorPolicy::WhenMfa;
};

struct MappingConfig {
  std::vector<Permission> permissions;  // the login permission is always known
  std::vector<Role> roles;
  std::vector<Institution> institutions;
  std::vector<Cluster> clusters;
  std::vector<MappingRule> rules;
  std::vector<InstitutionRule> institution_rules;
};

}  // namespace trustgate
