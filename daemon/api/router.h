#pragma once
// Routes requests to handlers: parses and validates the request target, authenticates the
// caller and checks its kind, checks the content type and parses JSON bodies. Handlers get a
// request that passed all of that. Thread-safe once built (dispatch is const).
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "daemon/api/auth_throttle.h"
#include "daemon/api/metrics.h"
#include "daemon/handoff/client_auth.h"
#include "daemon/http/api_types.h"

namespace trustgate {

// Splits a raw request target into percent-decoded path segments and query parameters.
// Rejects ("invalid_path" / "invalid_query"): a target not starting with '/', bad escapes,
// segments or values that are not valid ids (empty, > 256 bytes, control characters incl. NUL,
// invalid UTF-8), "." and ".." segments, segments with an (encoded) '/' or '\\', and repeated
// query keys.
struct ParsedTarget {
  std::vector<std::string> segments;
  std::map<std::string, std::string> query;
};
Result<ParsedTarget> parse_target(std::string_view target);

struct RouteSpec {
  std::string method;
  std::string pattern;           // "/v1/users/{id}/institutions"
  std::set<ClientKind> clients;  // who may call; empty = no authentication
  bool json_body = false;        // requires Content-Type: application/json and a JSON object
};

class Router {
 public:
  explicit Router(const ClientRegistry& clients) : clients_(clients) {}

  void add(RouteSpec spec, ApiHandler handler);

  // Failed authentications (a malformed or wrong credential; not a missing one) are logged
  // (the client id as claimed, the peer address; never the secret), counted in `metrics` and
  // throttled per claimed client id and per peer address (AuthThrottle): a throttled request
  // is answered 429 {"error":{"code":"too_many_requests"}} with Retry-After, before its
  // secret is checked. Ids that name no client share one key. Call before serving.
  void throttle_authentication(const Clock& clock, Metrics* metrics, AuthThrottleOptions options);

  // Fills in `request` (segments, params, query, client, json) and runs the matching handler.
  // `endpoint` receives the matched pattern ("unmatched" when none) for metrics.
  ApiResponse dispatch(ApiRequest& request, std::string& endpoint) const;

 private:
  struct Route {
    RouteSpec spec;
    std::vector<std::string> parts;  // pattern segments; "{name}" = parameter
    ApiHandler handler;
  };
  const ClientRegistry& clients_;
  std::vector<Route> routes_;
  std::unique_ptr<AuthThrottle> throttle_;
  Metrics* metrics_ = nullptr;
};

// 401 with WWW-Authenticate for both schemes.
ApiResponse unauthorized_response(std::string_view message);

}  // namespace trustgate
