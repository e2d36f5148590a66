#include "bench/lib/measure.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace trustgate::bench {
namespace {
std::size_t status_field(const std::string& name, const std::string& file = "/proc/self/status") {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + ":", 0) == 0) return std::stoul(line.substr(name.size() + 1));
  }
  return 0;
}
}  // namespace

std::size_t current_rss_kib() { return status_field("VmRSS"); }

std::size_t process_status(pid_t pid, const std::string& field) {
  return status_field(field, "/proc/" + std::to_string(pid) + "/status");
}

double process_cpu_us(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  double utime = 0, stime = 0;
  for (int i = 3; fields >> f; ++i) {  // field 3 is the state; 14 utime, 15 stime
    if (i == 14) utime = std::stod(f);
    if (i == 15) {
      stime = std::stod(f);
      break;
    }
  }
  return (utime + stime) * 1e6 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

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
