#include "daemon/api/requested_user.h"

#include "daemon/http/api_json.h"

namespace trustgate {

std::expected<const User*, ApiResponse> requested_user(const ServingSnapshot& snapshot,
                                                       std::string_view key) {
  const UserLookup found = snapshot.lookup(parse_user_key(key));
  switch (found.status) {
    case UserLookup::Status::Found:
      return found.user;
    case UserLookup::Status::Ambiguous:
      return std::unexpected(error_response(
          409, "ambiguous_user", "several users have this username; name one by id:<stable id>"));
    case UserLookup::Status::Unknown:
      break;
  }
  return std::unexpected(error_response(404, "unknown_user", "no such user"));
}

}  // namespace trustgate
