#pragma once
// Associations made by an operator rather than the directory. They live in the store apart
// from revisions and are merged into every served model.
#include <cstdint>
#include <string>
#include <vector>

#include "mapping/access_model.h"

namespace trustgate {

struct ManualAssociation {
  std::string user_id;
  AssociationKind kind = AssociationKind::Institution;
  std::string target;  // institution or cluster id; empty for All
  std::string created_by;
  std::int64_t created_at = 0;  // unix seconds
};

// The model with manual associations added (Provenance::Kind::Manual, source = created_by).
// Manual associations for users not in the model are ignored.
AccessModel with_manual(AccessModel model, const std::vector<ManualAssociation>& manual);

// Why a removal of (kind, target) from a user is refused, if it is: a school the user has
// only through a cluster ("cluster:<id>") or through a directory rule ("group:<dn>"), or
// ("all") through an all-institutions association. A school held directly through a rule
// is reported as "group" before a cluster or "all" is considered.
// removable when the user has a manual association (kind, target). Neither removable nor
// blocked (all fields empty) when the user or the association is unknown.
struct RemovalCheck {
  bool removable = false;     // a manual association (kind, target) exists
  std::string blocking_kind;  // "cluster", "group" or "all" when granted otherwise
  std::string blocking_name;  // the cluster's id or the group's DN; empty for "all"
  // Human: "institution 100001 comes from cluster Primaries (primaries); remove the cluster".
  // Empty when removable or when the user does not have (kind, target) at all.
  std::string message;
};
RemovalCheck check_removal(const AccessModel& merged, const std::string& user_id,
                           AssociationKind kind, const std::string& target);

}  // namespace trustgate
