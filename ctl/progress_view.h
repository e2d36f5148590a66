#pragma once
// trustgatectl's view of a running sync pass, on stderr (stdout carries the outcome): on a
// terminal a bar redrawn in place, at most ten times a second; elsewhere (a pipe, the journal
// of a timer unit) a plain line at most every five seconds; then one closing line with the
// count, the time taken, the rate and what the last pass read.
#include <chrono>
#include <cstddef>
#include <optional>
#include <ostream>

#include "common/clock.h"
#include "daemon/sync/sync_progress.h"

namespace trustgate::ctl {

class ProgressView {
 public:
  ProgressView(std::ostream& err, bool terminal, const Clock& clock,
               std::optional<std::size_t> expected);

  void update(std::size_t entries_read);
  // Wipes the bar and prints the closing line.
  void finish();

 private:
  std::ostream& err_;
  bool terminal_;
  const Clock& clock_;
  ProgressMeter meter_;
  LineThrottle throttle_;
};

}  // namespace trustgate::ctl
