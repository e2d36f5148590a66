#pragma once
// Where a model's identities could be confused: usernames several users share, a username that
// spells another user's stable id, a username that reads as an "id:" key, two users with one
// DN, and two groups of one source with one DN (a rule or a nesting by that DN takes both). Lookups
// keep ids and usernames apart (mapping/user_key.h), so none of these can hand one user's access to
// another; they are reported at every sync so that an operator fixes the directory, and a shared
// username is answered as ambiguous.
#include <cstddef>
#include <string>
#include <vector>

#include "mapping/access_model.h"
#include "mapping/directory_snapshot.h"

namespace trustgate {

struct IdentityCollision {
  enum class Kind {
    SharedUsername,   // several users have this username (compared after fold_case())
    UsernameIsAnId,   // a user's username equals another user's stable id
    UsernameIsIdKey,  // a username beginning with "id:" can be named only by its stable id
    SharedDn,         // several users (with different ids) have this DN (compared normalised)
    SharedGroupDn,    // several groups of one source (with different ids) have this DN
  };
  Kind kind = Kind::SharedUsername;
  std::string key;               // the username or DN concerned
  std::vector<std::string> ids;  // the users (or groups) concerned, sorted
  bool operator==(const IdentityCollision&) const = default;
};

// Every collision in `model`, ordered by kind, then key. Linear in users (hash maps).
std::vector<IdentityCollision> find_identity_collisions(const AccessModel& model);

// Every SharedGroupDn collision in `snapshots` (each source on its own: sources may share a
// DN space), ordered by key. A group without an id, or with the same id, is no collision.
// Linear in groups.
std::vector<IdentityCollision> find_group_collisions(
    const std::vector<DirectorySnapshot>& snapshots);

// One line for the log and `plan`, naming the users (or groups) by id.
std::string describe(const IdentityCollision& collision);

}  // namespace trustgate
