#pragma once
// Wall time and peak RSS of a phase (Linux: VmHWM, reset through /proc/self/clear_refs),
// another process's CPU time, RSS and threads (/proc/<pid>), and percentiles of samples.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace trustgate::bench {

struct Measured {
  double seconds = 0;
  std::size_t peak_rss_kib = 0;  // the process's peak while the phase ran
  std::size_t rss_before_kib = 0;
};

Measured measure(const std::function<void()>& phase);
std::size_t current_rss_kib();

// CPU time (user + system) process `pid` has used so far, in microseconds; 0 if it is gone.
double process_cpu_us(pid_t pid);
// A field of /proc/<pid>/status as a number ("VmRSS" in KiB, "Threads"); 0 if absent.
std::size_t process_status(pid_t pid, const std::string& field);

// The p-quantile (0..1) of the samples, nearest rank; 0 when there are none.
double percentile_sorted(const std::vector<double>& sorted, double p);
double percentile(std::vector<double> samples, double p);  // sorts a copy

}  // namespace trustgate::bench
