#pragma once
// The login decision and its explanation. Pure.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mapping/access_model.h"

namespace trustgate {

// Stable reason codes (API and audit use them verbatim).
namespace reason {
inline constexpr std::string_view kGranted = "granted";
inline constexpr std::string_view kUnknownUser = "unknown_user";
// A username held by several users: name one by "id:<stable id>".
inline constexpr std::string_view kAmbiguousUser = "ambiguous_user";
inline constexpr std::string_view kUserDisabled = "user_disabled";
inline constexpr std::string_view kNoLoginPermission = "no_login_permission";
inline constexpr std::string_view kUnknownInstitution = "unknown_institution";
inline constexpr std::string_view kNotAssociated = "not_associated";
}  // namespace reason

struct Decision {
  bool allowed = false;
  std::string reason;  // one of reason::*, the first precondition that failed

  // The three preconditions, each met or not.
  bool profile_ok = false;      // the user exists and is enabled
  bool permission_ok = false;   // the login permission through some role
  bool association_ok = false;  // associated with the institution (when one was asked)

  std::vector<RoleGrant> permission_via;       // the role grants that carry the permission
  std::optional<Association> association_via;  // the association that grants the institution
  std::string path;  // human: "via cluster Primaries (rule primaries, group CN=...)"
};

// Decision for the user `key` names at `institution_id`; unknown_user or ambiguous_user when
// it names nobody or several users.
Decision decide(const AccessModel& model, const UserKey& key, std::string_view institution_id);
// decide() for a looked-up user; `lookup` not Found gives unknown_user / ambiguous_user.
Decision decide(const AccessModel& model, const UserLookup& lookup,
                std::string_view institution_id);

// The decision as three human lines, one per precondition in order (profile, permission,
// association), each saying "met" or "not met" and why, e.g.
// "associated institution: met, via cluster Primaries (rule primaries, group cn=...)".
std::vector<std::string> explain(const Decision& d);

// Every institution id the user is associated with (any route), sorted; ignores the
// permission and enabled preconditions.
std::vector<std::string> associated_institutions(const AccessModel& model, const User& user);

// The drop-down: exactly the institutions the user may log in to now (empty when the profile
// or the permission precondition fails), sorted by id.
std::vector<std::string> loginable_institutions(const AccessModel& model, const User& user);

// All permissions a user holds through their roles, sorted, unique.
std::vector<std::string> permissions_of(const AccessModel& model, const User& user);

// One-line human description of a provenance / association, e.g.
// "via cluster Primaries (rule primaries, group cn=Primary Staff,...; nested via cn=...)".
std::string describe(const AccessModel& model, const Association& a);
std::string describe(const Provenance& p);

}  // namespace trustgate
