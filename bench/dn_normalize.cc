// normalize_dn throughput: it runs for every member value of every group on every pass.
// Prints ns per DN for ~1M typical ASCII DNs in three shapes, and for non-ASCII DNs.
// Usage: bench_dn_normalize [count]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mapping/dn.h"

namespace {

// This process's CPU time: less disturbed than wall time by other work on a busy machine.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::vector<std::string> make_dns(std::size_t n, int shape) {
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string k = std::to_string(i);
    switch (shape) {
      case 0:  // OpenLDAP, as slapd returns entry DNs
        out.push_back("uid=user" + k + ",ou=people,dc=la,dc=example");
        break;
      case 1:  // AD, as loaded: upper-case types, spaces, mixed case
        out.push_back("CN=User " + k + ",OU=Staff,OU=School " + std::to_string(i % 500) +
                      ",DC=LA,DC=Example");
        break;
      case 2:  // AD "Last, First" names: an escaped comma
        out.push_back("CN=Smith\\, John " + k + ",OU=Staff,DC=la,DC=example");
        break;
      default:  // non-ASCII (Polish names)
        out.push_back("cn=Żaneta Łukasiewicz " + k + ",ou=Kraków,dc=la,dc=example");
        break;
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const char* names[] = {"openldap ascii", "ad ascii", "ad escaped comma", "non-ascii"};
  std::size_t total_ascii = 0;
  double total_ascii_s = 0, total_ascii_cpu = 0;
  for (int shape = 0; shape < 4; ++shape) {
    const std::size_t count = shape == 3 ? n / 10 : n / 3;
    const auto dns = make_dns(count, shape);
    std::string key;
    std::size_t sink = 0;
    const double c0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto& dn : dns) {
      trustgate::normalize_dn_into(dn, key);
      sink += key.size();
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_seconds() - c0;
    std::printf("%-18s %8zu DNs  %7.1f ms  %6.1f ns/DN wall  %6.1f ns/DN cpu  (%zu bytes out)\n",
                names[shape], count, s * 1e3, s * 1e9 / static_cast<double>(count),
                cpu * 1e9 / static_cast<double>(count), sink);
    if (shape < 3) {
      total_ascii += count;
      total_ascii_s += s;
      total_ascii_cpu += cpu;
    }
  }
  std::printf("%-18s %8zu DNs  %7.1f ms  %6.1f ns/DN wall  %6.1f ns/DN cpu\n", "all ascii",
              total_ascii, total_ascii_s * 1e3,
              total_ascii_s * 1e9 / static_cast<double>(total_ascii),
              total_ascii_cpu * 1e9 / static_cast<double>(total_ascii));
}
