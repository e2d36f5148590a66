#pragma once
// Wall time and peak RSS of a phase (Linux: VmHWM, reset through /proc/self/clear_refs).
#include <chrono>
#include <cstddef>
#include <functional>

namespace trustgate::bench {

struct Measured {
  double seconds = 0;
  std::size_t peak_rss_kib = 0;  // the process's peak while the phase ran
  std::size_t rss_before_kib = 0;
};

Measured measure(const std::function<void()>& phase);
std::size_t current_rss_kib();

}  // namespace trustgate::bench
