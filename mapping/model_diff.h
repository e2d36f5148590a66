#pragma once
// What changes between two access models, user by user. Pure. Used by `plan`, by the safety
// checks before an apply, and for a revision's summary.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mapping/access_model.h"

namespace trustgate {

struct UserDiff {
  std::string user_id;
  std::string username;
  enum class Change { Added, Removed, Changed } change = Change::Changed;
  // Human lines: "+ role teacher (rule r1, group cn=...)", "+ cluster primaries (manual)".
  std::vector<std::string> granted;
  std::vector<std::string> revoked;  // "- institution 100001", "- enabled"
  std::size_t grants_added = 0;      // role grants + associations gained
  std::size_t grants_removed = 0;    // role grants + associations lost (a removed user: all)
  // Profile changes that grant nothing: "~ username: old -> new", "~ dn: ...".
  std::vector<std::string> updated;
};

// "added", "removed", "changed".
std::string_view to_string(UserDiff::Change change);

struct ModelDiff {
  // Only users that change, sorted by user id; empty when made with DiffDetail::CountsOnly, or
  // when more users changed than the lines were asked for (user_lines_dropped).
  std::vector<UserDiff> users;
  bool user_lines_dropped = false;
  std::size_t users_added = 0, users_removed = 0, users_changed = 0;
  std::size_t grants_added = 0, grants_removed = 0;
  std::size_t institutions_added = 0, institutions_removed = 0;
  std::size_t clusters_changed = 0;      // added, removed, or renamed / members changed
  std::size_t institutions_changed = 0;  // name, MIS URL or second-factor policy changed
  std::size_t roles_changed = 0;         // added, removed, or permissions changed
  bool empty() const {
    return users_added == 0 && users_removed == 0 && users_changed == 0 &&
           institutions_added == 0 && institutions_removed == 0 && clusters_changed == 0 &&
           institutions_changed == 0 && roles_changed == 0;
  }
  // "users +3 -1 ~2, grants +10 -4, institutions +0 -0"; then " ~N" after institutions,
  // ", clusters ~N" and ", roles ~N" when those are non-zero.
  std::string summary() const;
};

// UserLines: every changing user with its lines (what `plan` prints). CountsOnly: the counts
// alone, the same as UserLines gives; an added or removed user then costs no comparison (a
// first sync of 100k users took 0.2-0.3 s and tens of MB to describe them all).
enum class DiffDetail { UserLines, CountsOnly };

// Grants are compared by (kind, target, provenance rule/group); enabling/disabling a user
// counts as a change (disabling as one removed grant). With UserLines, once more than
// `max_user_lines` users change their lines are dropped and the rest is counted as CountsOnly
// counts it (the daemon keeps a revision's lines for its history when they are few, and a
// first sync of 100k users must not pay for describing them). The counts never depend on the
// detail or the limit.
ModelDiff diff_models(const AccessModel& before, const AccessModel& after,
                      DiffDetail detail = DiffDetail::UserLines,
                      std::size_t max_user_lines = SIZE_MAX);

}  // namespace trustgate
