#include "bench/lib/measure.h"

#include <algorithm>
#include <fstream>
#include <string>

namespace trustgate::bench {
namespace {
std::size_t status_field(const std::string& name) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + ":", 0) == 0) return std::stoul(line.substr(name.size() + 1));
  }
  return 0;
}
}  // namespace

std::size_t current_rss_kib() { return status_field("VmRSS"); }

Measured measure(const std::function<void()>& phase) {
  { std::ofstream("/proc/self/clear_refs") << "5"; }  // reset VmHWM to the current RSS
  Measured m;
  m.rss_before_kib = current_rss_kib();
  auto start = std::chrono::steady_clock::now();
  phase();
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.peak_rss_kib = status_field("VmHWM");
  return m;
}

double percentile_sorted(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const std::size_t i =
      std::min(sorted.size() - 1,
               static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5));
  return sorted[i];
}

double percentile(std::vector<double> samples, double p) {
  std::sort(samples.begin(), samples.end());
  return percentile_sorted(samples, p);
}

}  // namespace trustgate::bench
