#pragma once
// Where a model's identities could be confused: usernames several users share, a username that
// spells another user's stable id, a username that reads as an "id:" key, two users with one
// DN. Lookups keep ids and usernames apart (mapping/user_key.h), so none of these can hand one
// user's access to another; they are reported at every sync so that an operator fixes the
// directory, and a shared username is answered as ambiguous.
#include <cstddef>
#include <string>
#include <vector>

#include "mapping/access_model.h"

namespace trustgate {

struct IdentityCollision {
  enum class Kind {
    SharedUsername,   // several users have this username (compared after fold_case())
    UsernameIsAnId,   // a user's username equals another user's stable id
    UsernameIsIdKey,  // a username beginning with "id:" can be named only by its stable id
    SharedDn,         // several users (with different ids) have this DN (compared normalised)
  };
  Kind kind = Kind::SharedUsername;
  std::string key;                    // the username or DN concerned
  std::vector<std::string> user_ids;  // the users concerned, sorted
  bool operator==(const IdentityCollision&) const = default;
};

// Every collision in `model`, ordered by kind, then key. Linear in users (hash maps).
std::vector<IdentityCollision> find_identity_collisions(const AccessModel& model);

// One line for the log and `plan`, naming the users by id.
std::string describe(const IdentityCollision& collision);

}  // namespace trustgate
