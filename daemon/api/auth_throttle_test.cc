// The failed-authentication throttle, on a manual clock (no sleeps), alone and in the router
// (per claimed client id and per peer address).
#include "daemon/api/auth_throttle.h"

#include <gtest/gtest.h>

#include "daemon/api/router.h"
#include "daemon/http/api_json.h"
#include "daemon/testing/la_fixtures.h"

namespace trustgate {
namespace {

using std::chrono::seconds;

TEST(AuthThrottle, RefusesAKeyAfterMaxFailuresUntilItsWindowEnds) {
  ManualClock clock;
  AuthThrottle t(clock, {.max_failures = 3, .window = seconds(60)});
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(t.retry_after("a"));
    t.failed("a");
  }
  EXPECT_EQ(t.retry_after("a"), seconds(60));
  EXPECT_FALSE(t.retry_after("b"));
  clock.advance(std::chrono::milliseconds(59'500));
  EXPECT_EQ(t.retry_after("a"), seconds(1));
  clock.advance(std::chrono::milliseconds(500));
  EXPECT_FALSE(t.retry_after("a"));
  t.failed("a");  // a new window
  EXPECT_FALSE(t.retry_after("a"));
}

TEST(AuthThrottle, KeepsAtMostMaxKeys) {
  ManualClock clock;
  AuthThrottle t(clock, {.max_failures = 1, .window = seconds(60), .max_keys = 2});
  t.failed("a");
  clock.advance(seconds(1));
  t.failed("b");
  clock.advance(seconds(1));
  t.failed("c");  // drops "a", the stalest
  EXPECT_FALSE(t.retry_after("a"));
  EXPECT_TRUE(t.retry_after("b"));
  EXPECT_TRUE(t.retry_after("c"));
}

TEST(AuthThrottle, ZeroMaxFailuresNeverThrottles) {
  ManualClock clock;
  AuthThrottle t(clock, {.max_failures = 0});
  for (int i = 0; i < 100; ++i) t.failed("a");
  EXPECT_FALSE(t.retry_after("a"));
}

// A router with one site-only endpoint and a throttle of `max_failures` per 30 s.
struct ThrottledRouter {
  explicit ThrottledRouter(Metrics* metrics, ManualClock& clock, int max_failures = 2)
      : router(clients) {
    router.throttle_authentication(clock, metrics,
                                   {.max_failures = max_failures, .window = seconds(30)});
    router.add({"GET", "/v1/clusters", {ClientKind::Site}, false},
               [](const ApiRequest&) { return json_response(200, json_object()); });
  }
  ApiResponse call(std::string auth, std::string peer) {
    ApiRequest r;
    r.method = "GET";
    r.target = "/v1/clusters";
    r.authorization = std::move(auth);
    r.peer = std::move(peer);
    std::string endpoint;
    return router.dispatch(r, endpoint);
  }
  ClientRegistry clients = api_testing::la_clients();
  Router router;
};

TEST(AuthThrottle, TheRouterThrottlesAPeerAddressWhateverIdsItClaims) {
  ManualClock clock;
  Metrics metrics(clock);
  ThrottledRouter t(&metrics, clock);
  auto call = [&](std::string auth, std::string peer) { return t.call(auth, peer); };
  EXPECT_EQ(call("Bearer mat-site:wrong-0123456789abcdef", "192.0.2.7").status, 401);
  EXPECT_EQ(call("Bearer ops:wrong-0123456789abcdef", "192.0.2.7").status, 401);
  ApiResponse limited =
      call(std::string("Bearer mat-site:") + api_testing::kSiteSecret, "192.0.2.7");
  EXPECT_EQ(limited.status, 429);
  ASSERT_FALSE(limited.headers.empty());
  EXPECT_EQ(limited.headers.back(), (std::pair<std::string, std::string>{"Retry-After", "30"}));
  // Another address with the right secret is not throttled (mat-site has one failure).
  EXPECT_EQ(call(std::string("Bearer mat-site:") + api_testing::kSiteSecret, "192.0.2.8").status,
            200);
  clock.advance(seconds(30));
  EXPECT_EQ(call(std::string("Bearer mat-site:") + api_testing::kSiteSecret, "192.0.2.7").status,
            200);
  EXPECT_NE(metrics.render().find("trustgate_auth_failures_total{reason=\"invalid\"} 2"),
            std::string::npos);
}

// A client id is throttled where the failures come from: someone guessing at another address
// cannot lock the MAT site out where it runs.
TEST(AuthThrottle, FailuresFromOneAddressDoNotLockAClientOutElsewhere) {
  ManualClock clock;
  ThrottledRouter t(nullptr, clock);
  auto call = [&](std::string auth, std::string peer) { return t.call(auth, peer).status; };
  const std::string good = std::string("Bearer mat-site:") + api_testing::kSiteSecret;
  for (int i = 0; i < 3; ++i) call("Bearer mat-site:wrong-0123456789abcdef", "192.0.2.66");
  EXPECT_EQ(call(good, "192.0.2.66"), 429);
  EXPECT_EQ(call(good, "127.0.0.1"), 200);
  // Loopback is not throttled as an address: every local client shares it.
  for (int i = 0; i < 3; ++i) call("Bearer ops:wrong-0123456789abcdef", "127.0.0.1");
  EXPECT_EQ(call(good, "127.0.0.1"), 200);
}

}  // namespace
}  // namespace trustgate
