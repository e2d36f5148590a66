#pragma once
// Time is injected: production code takes a Clock&, tests pass a ManualClock.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace trustgate {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (for expiries, audit and revision timestamps).
  virtual std::chrono::system_clock::time_point now() const = 0;
  // Monotonic time (for intervals and latencies).
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start =
                           std::chrono::system_clock::time_point{
                               std::chrono::seconds{1'800'000'000}})
      : wall_ns_(start.time_since_epoch().count()) {}
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point{
        std::chrono::system_clock::duration{wall_ns_.load()}};
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::time_point{
        std::chrono::steady_clock::duration{steady_ns_.load()}};
  }
  void advance(std::chrono::nanoseconds d) {
    wall_ns_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d).count();
    steady_ns_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d).count();
  }

 private:
  std::atomic<std::int64_t> wall_ns_;
  std::atomic<std::int64_t> steady_ns_{0};
};

inline std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace trustgate
