#pragma once
// Whether an Active Directory account is disabled, from the two attributes that say so:
// userAccountControl (bit 0x2, ACCOUNTDISABLE) and accountExpires (a FILETIME: 100 ns ticks
// since 1601-01-01 UTC; 0 and 0x7FFFFFFFFFFFFFFF mean "never"). Pure functions.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace trustgate {

inline constexpr std::uint32_t kUacAccountDisable = 0x2;
inline constexpr std::int64_t kAccountNeverExpires = 0x7FFFFFFFFFFFFFFF;

// What a user entry says about its account, as read from the directory.
struct AdAccountState {
  bool uac_disabled = false;            // userAccountControl & 0x2
  std::optional<std::int64_t> expires;  // FILETIME; nullopt: never expires
};

// Parses the decimal attribute values; an absent or unparsable value counts as "not disabled" /
// "never expires" (AD always writes both on users, so only foreign data lacks them).
AdAccountState parse_account_state(std::string_view user_account_control,
                                   std::string_view account_expires);

// FILETIME <-> system_clock. The conversion saturates at the ends of system_clock's range.
std::chrono::system_clock::time_point filetime_to_time(std::int64_t filetime);
std::int64_t time_to_filetime(std::chrono::system_clock::time_point t);

// Disabled now: the ACCOUNTDISABLE bit is set, or the account expired at or before `now`.
bool account_disabled(const AdAccountState& state, std::chrono::system_clock::time_point now);

}  // namespace trustgate
