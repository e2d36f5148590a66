#pragma once
// Unix seconds as trustgatectl prints them: "2026-12-04 05:10:00" (UTC), or "never" for 0.
#include <cstdint>
#include <string>

namespace trustgate::ctl {

std::string utc_time(std::int64_t unix_seconds);

}  // namespace trustgate::ctl
