#include "bench/lib/measure.h"

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

}  // namespace trustgate::bench
