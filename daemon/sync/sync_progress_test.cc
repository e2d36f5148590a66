// SyncProgress: the rate, share and time left of a pass, and the text every view prints.
#include "daemon/sync/sync_progress.h"

#include <gtest/gtest.h>

namespace trustgate {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

TEST(SyncProgressTest, RateShareAndTimeLeftFollowFromTheCountsAndTheElapsedTime) {
  ProgressMeter meter;
  const steady::time_point t0{100s};
  meter.start(t0, 100000);
  const SyncProgress& p = meter.update(20000, t0 + 5s);
  EXPECT_DOUBLE_EQ(p.entries_per_second(), 4000.0);
  EXPECT_DOUBLE_EQ(*p.fraction(), 0.2);
  EXPECT_DOUBLE_EQ(*p.eta_seconds(), 20.0);
  EXPECT_EQ(progress_text(p), "20000 of ~100000 entries (20%), 4000/s, about 20 s left");
  EXPECT_EQ(progress_bar(p, 10), "[##--------]  20% 20000/~100000 entries, 4000/s, ETA 0:20");
}

TEST(SyncProgressTest, WithoutAnEarlierPassThereIsNoTotalOnlyCountAndRate) {
  ProgressMeter meter;
  meter.start(steady::time_point{}, std::nullopt);
  const SyncProgress& p = meter.update(3000, steady::time_point{2s});
  EXPECT_FALSE(p.fraction());
  EXPECT_FALSE(p.eta_seconds());
  EXPECT_EQ(progress_text(p), "3000 entries, 1500/s");
  EXPECT_EQ(progress_bar(p), "3000 entries, 1500/s");
}

TEST(SyncProgressTest, PastALowEstimateTheBarIsFullAndNothingIsLeft) {
  ProgressMeter meter;
  meter.start(steady::time_point{}, 100);
  const SyncProgress& p = meter.update(150, steady::time_point{1s});
  EXPECT_DOUBLE_EQ(*p.fraction(), 1.0);
  EXPECT_DOUBLE_EQ(*p.eta_seconds(), 0.0);
  EXPECT_EQ(progress_bar(p, 4), "[####] 100% 150/~100 entries, 150/s, ETA 0:00");
}

TEST(SyncProgressTest, NoTimeYetMeansNoRateAndNoTimeLeft) {
  ProgressMeter meter;
  meter.start(steady::time_point{}, 100);
  const SyncProgress& p = meter.update(0, steady::time_point{});
  EXPECT_DOUBLE_EQ(p.entries_per_second(), 0.0);
  EXPECT_FALSE(p.eta_seconds());
  EXPECT_EQ(progress_text(p), "0 of ~100 entries (0%), 0/s");
}

TEST(SyncProgressTest, ClockTextShowsMinutesAndHours) {
  EXPECT_EQ(clock_text(0), "0:00");
  EXPECT_EQ(clock_text(65), "1:05");
  EXPECT_EQ(clock_text(3723), "1:02:03");
  EXPECT_EQ(clock_text(-3), "0:00");
}

TEST(SyncProgressTest, LinesAreDueFirstThenAtMostOncePerInterval) {
  LineThrottle throttle(10s);
  EXPECT_TRUE(throttle.due(steady::time_point{0s}));
  EXPECT_FALSE(throttle.due(steady::time_point{9s}));
  EXPECT_TRUE(throttle.due(steady::time_point{10s}));
  EXPECT_FALSE(throttle.due(steady::time_point{19s}));
  throttle.reset();
  EXPECT_TRUE(throttle.due(steady::time_point{19s}));
}

}  // namespace
}  // namespace trustgate
