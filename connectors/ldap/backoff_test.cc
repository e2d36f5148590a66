#include "connectors/ldap/backoff.h"

#include <gtest/gtest.h>

#include <set>

namespace trustgate {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, DelaysGrowExponentiallyWithinJitterBounds) {
  SeededRandom random(42);
  Backoff backoff(milliseconds{100}, milliseconds{10'000}, random);
  const std::int64_t bases[] = {100, 200, 400, 800, 1600, 3200, 6400};
  for (auto base : bases) {
    const auto d = backoff.next().count();
    EXPECT_GE(d, base / 2) << "base " << base;
    EXPECT_LE(d, base) << "base " << base;
  }
  EXPECT_EQ(backoff.failures(), 7);
}

TEST(BackoffTest, NeverExceedsTheMaximum) {
  SeededRandom random(7);
  Backoff backoff(milliseconds{100}, milliseconds{1'000}, random);
  for (int i = 0; i < 200; ++i) {
    const auto d = backoff.next();
    EXPECT_LE(d, milliseconds{1'000});
  }
  // Far past the cap the base stays at the maximum.
  const auto d = backoff.next();
  EXPECT_GE(d, milliseconds{500});
}

TEST(BackoffTest, ResetStartsAgainFromTheInitialDelay) {
  SeededRandom random(1);
  Backoff backoff(milliseconds{100}, milliseconds{60'000}, random);
  for (int i = 0; i < 10; ++i) backoff.next();
  backoff.reset();
  EXPECT_EQ(backoff.failures(), 0);
  const auto d = backoff.next();
  EXPECT_GE(d, milliseconds{50});
  EXPECT_LE(d, milliseconds{100});
}

TEST(BackoffTest, JitterSpreadsDelays) {
  SeededRandom random(99);
  std::set<std::int64_t> seen;
  for (int i = 0; i < 50; ++i) {
    Backoff backoff(milliseconds{1'000}, milliseconds{60'000}, random);
    seen.insert(backoff.next().count());
  }
  EXPECT_GT(seen.size(), 10u);
}

}  // namespace
}  // namespace trustgate
