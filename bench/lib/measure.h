#pragma once
// Wall time and peak RSS of a phase (Linux: VmHWM, reset through /proc/self/clear_refs), and
// percentiles of samples.
#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

namespace trustgate::bench {

struct Measured {
  double seconds = 0;
  std::size_t peak_rss_kib = 0;  // the process's peak while the phase ran
  std::size_t rss_before_kib = 0;
};

Measured measure(const std::function<void()>& phase);
std::size_t current_rss_kib();

// The p-quantile (0..1) of the samples, nearest rank; 0 when there are none.
double percentile_sorted(const std::vector<double>& sorted, double p);
double percentile(std::vector<double> samples, double p);  // sorts a copy

}  // namespace trustgate::bench
