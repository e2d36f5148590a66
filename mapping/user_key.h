#pragma once
// How a caller names a user: by stable id or by username, never "whichever matches first".
// Stable ids (entryUUID, objectGUID) and usernames are separate namespaces: a username that
// happens to spell another user's id names only the user whose username it is.
#include <string>
#include <string_view>

#include "mapping/user.h"

namespace trustgate {

struct UserKey {
  enum class Kind { Id, Username };
  Kind kind = Kind::Username;
  std::string value;
  bool operator==(const UserKey&) const = default;

  static UserKey by_id(std::string_view id) { return {Kind::Id, std::string(id)}; }
  static UserKey by_username(std::string_view name) { return {Kind::Username, std::string(name)}; }
};

// The prefix that marks a stable id in the API's and the CLI's spelling of a user.
inline constexpr std::string_view kUserIdPrefix = "id:";

// Parses the API/CLI spelling: "id:<stable id>" names a stable id; anything else is a username
// (compared after fold_case(): full Unicode case folding). So a username is never taken for
// an id.
UserKey parse_user_key(std::string_view text);
// The spelling parse_user_key() reads back: "id:<id>" or the username.
std::string to_string(const UserKey& key);
// "id:<id>": how to name one user unambiguously.
std::string id_key(std::string_view id);

// The result of a lookup: a user, nobody, or several users sharing the username asked for
// (an ambiguous name is answered as such, never resolved by precedence).
struct UserLookup {
  enum class Status { Found, Unknown, Ambiguous };
  Status status = Status::Unknown;
  const User* user = nullptr;  // set when Found
  static UserLookup found(const User* u) { return {Status::Found, u}; }
  static UserLookup unknown() { return {}; }
  static UserLookup ambiguous() { return {Status::Ambiguous, nullptr}; }
};

}  // namespace trustgate
