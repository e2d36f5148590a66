// ProgressView: a bar redrawn in place on a terminal, throttled plain lines elsewhere, and the
// closing line, all against a manual clock.
#include "ctl/progress_view.h"

#include <gtest/gtest.h>

#include <sstream>

namespace trustgate::ctl {
namespace {

using namespace std::chrono_literals;

TEST(ProgressViewTest, OnATerminalTheBarIsRedrawnInPlaceAndWipedAtTheEnd) {
  ManualClock clock;
  std::ostringstream err;
  ProgressView view(err, true, clock, 1000);
  view.update(10);  // within the first tenth of a second: nothing yet
  EXPECT_EQ(err.str(), "");
  clock.advance(1s);
  view.update(250);
  EXPECT_EQ(err.str(), "\r\033[K" + progress_bar({250, 1000, 1s}));
  EXPECT_NE(err.str().find("25% 250/~1000 entries, 250/s, ETA 0:03"), std::string::npos);
  clock.advance(1s);
  view.update(1000);
  view.finish();
  EXPECT_TRUE(err.str().ends_with(
      "\r\033[Kread 1000 entries in 2.0 s (500/s), ~1000 expected from the last pass\n"))
      << err.str();
}

TEST(ProgressViewTest, ElsewherePlainLinesComeAtMostEveryFiveSeconds) {
  ManualClock clock;
  std::ostringstream err;
  ProgressView view(err, false, clock, std::nullopt);
  clock.advance(5s);
  view.update(5000);
  clock.advance(1s);
  view.update(6000);  // too soon for another line
  clock.advance(4s);
  view.update(10000);
  view.finish();
  EXPECT_EQ(err.str(),
            "  ... 5000 entries, 1000/s\n"
            "  ... 10000 entries, 1000/s\n"
            "read 10000 entries in 10.0 s (1000/s)\n");
  EXPECT_EQ(err.str().find('\r'), std::string::npos);
}

}  // namespace
}  // namespace trustgate::ctl
