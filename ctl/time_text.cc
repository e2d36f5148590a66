#include "ctl/time_text.h"

#include <ctime>

namespace trustgate::ctl {

std::string utc_time(std::int64_t unix_seconds) {
  if (unix_seconds == 0) return "never";
  const std::time_t t = unix_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace trustgate::ctl
