#include "connectors/ldap/ad_account.h"

#include <charconv>
#include <limits>

namespace trustgate {
namespace {

// Seconds between 1601-01-01 and 1970-01-01 (both UTC).
constexpr std::int64_t kEpochDeltaSeconds = 11'644'473'600;
constexpr std::int64_t kTicksPerSecond = 10'000'000;

template <typename T>
std::optional<T> parse_number(std::string_view s) {
  T value{};
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

}  // namespace

AdAccountState parse_account_state(std::string_view user_account_control,
                                   std::string_view account_expires) {
  AdAccountState state;
  // userAccountControl is a signed 32-bit integer on the wire; the flag bits are what matter.
  if (auto uac = parse_number<std::int64_t>(user_account_control))
    state.uac_disabled = (static_cast<std::uint64_t>(*uac) & kUacAccountDisable) != 0;
  if (auto expires = parse_number<std::int64_t>(account_expires)) {
    if (*expires != 0 && *expires != kAccountNeverExpires) state.expires = *expires;
  }
  return state;
}

std::chrono::system_clock::time_point filetime_to_time(std::int64_t filetime) {
  using namespace std::chrono;
  // 1 tick = 100 ns; converted to system_clock's own duration at the end.
  const std::int64_t unix_ticks = filetime - kEpochDeltaSeconds * kTicksPerSecond;
  const auto ns = duration<std::int64_t, std::ratio<1, 10'000'000>>(unix_ticks);
  const auto max = duration_cast<duration<std::int64_t, std::ratio<1, 10'000'000>>>(
      system_clock::duration::max());
  const auto min = duration_cast<duration<std::int64_t, std::ratio<1, 10'000'000>>>(
      system_clock::duration::min());
  if (ns >= max) return system_clock::time_point::max();
  if (ns <= min) return system_clock::time_point::min();
  return system_clock::time_point(duration_cast<system_clock::duration>(ns));
}

std::int64_t time_to_filetime(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ticks =
      duration_cast<duration<std::int64_t, std::ratio<1, 10'000'000>>>(t.time_since_epoch())
          .count();
  if (ticks > std::numeric_limits<std::int64_t>::max() - kEpochDeltaSeconds * kTicksPerSecond)
    return kAccountNeverExpires;
  return ticks + kEpochDeltaSeconds * kTicksPerSecond;
}

bool account_disabled(const AdAccountState& state, std::chrono::system_clock::time_point now) {
  if (state.uac_disabled) return true;
  return state.expires && filetime_to_time(*state.expires) <= now;
}

}  // namespace trustgate
