#pragma once
// The user a request names, looked up in the served snapshot, or the answer to give instead.
#include <expected>
#include <string_view>

#include "daemon/http/api_types.h"
#include "daemon/serving/snapshot.h"

namespace trustgate {

// `key` is the request's spelling of a user (a path segment or a query value): "id:<stable id>"
// or a username, never either. Unknown: 404 unknown_user; a username several users hold: 409
// ambiguous_user, telling the caller to name one by id.
std::expected<const User*, ApiResponse> requested_user(const ServingSnapshot& snapshot,
                                                       std::string_view key);

}  // namespace trustgate
