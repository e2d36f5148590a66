#pragma once
// Exponential backoff with jitter for reconnecting to a directory. The delay before retry n
// (after n consecutive failures, n >= 1) is drawn uniformly from [base/2, base] where
// base = min(max, initial * multiplier^(n-1)): growing, bounded, and spread so that many
// daemons do not reconnect in lock-step. Not thread-safe.
#include <chrono>

#include "common/random.h"

namespace trustgate {

class Backoff {
 public:
  // `random` must outlive the Backoff.
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, RandomSource& random,
          double multiplier = 2.0);

  // Records a failure and returns how long to wait before the next attempt.
  std::chrono::milliseconds next();
  // After a success: the next failure starts again from `initial`.
  void reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  RandomSource& random_;
  double multiplier_;
  int failures_ = 0;
};

}  // namespace trustgate
