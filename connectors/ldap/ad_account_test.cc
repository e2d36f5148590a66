#include "connectors/ldap/ad_account.h"

#include <gtest/gtest.h>

namespace trustgate {
namespace {

using namespace std::chrono;

TEST(AdAccountTest, AccountDisableBitDisables) {
  EXPECT_TRUE(parse_account_state("514", "0").uac_disabled);  // NORMAL_ACCOUNT | ACCOUNTDISABLE
  EXPECT_FALSE(parse_account_state("512", "0").uac_disabled);
  EXPECT_TRUE(parse_account_state("66050", "").uac_disabled);  // + DONT_EXPIRE_PASSWORD
  EXPECT_FALSE(parse_account_state("66048", "").uac_disabled);
}

TEST(AdAccountTest, ZeroAndMaxAccountExpiresMeanNever) {
  const auto now = system_clock::now();
  EXPECT_FALSE(parse_account_state("512", "0").expires);
  EXPECT_FALSE(parse_account_state("512", "9223372036854775807").expires);
  EXPECT_FALSE(account_disabled(parse_account_state("512", "0"), now));
  EXPECT_FALSE(account_disabled(parse_account_state("512", "9223372036854775807"), now));
}

TEST(AdAccountTest, UnparsableValuesCountAsEnabledAndNeverExpiring) {
  const auto state = parse_account_state("x", "soon");
  EXPECT_FALSE(state.uac_disabled);
  EXPECT_FALSE(state.expires);
}

TEST(AdAccountTest, FiletimeConvertsAtTheUnixEpoch) {
  // 1970-01-01T00:00:00Z is 116444736000000000 ticks after 1601-01-01.
  EXPECT_EQ(filetime_to_time(116444736000000000LL), system_clock::time_point{});
  EXPECT_EQ(time_to_filetime(system_clock::time_point{}), 116444736000000000LL);
  const auto t = system_clock::time_point{seconds{1'800'000'000}};
  EXPECT_EQ(filetime_to_time(time_to_filetime(t)), t);
}

TEST(AdAccountTest, ExpiryComparesWithTheGivenTime) {
  const auto now = system_clock::time_point{seconds{1'800'000'000}};
  AdAccountState past{false, time_to_filetime(now - hours(1))};
  AdAccountState future{false, time_to_filetime(now + hours(1))};
  AdAccountState exactly{false, time_to_filetime(now)};
  EXPECT_TRUE(account_disabled(past, now));
  EXPECT_FALSE(account_disabled(future, now));
  EXPECT_TRUE(account_disabled(exactly, now));
  EXPECT_TRUE(account_disabled(future, now + hours(2)));  // later, the same state expires
}

TEST(AdAccountTest, ExtremeFiletimesDoNotOverflow) {
  const auto now = system_clock::now();
  EXPECT_FALSE(account_disabled(AdAccountState{false, 0x7FFFFFFFFFFFFFFELL}, now));
  EXPECT_TRUE(account_disabled(AdAccountState{false, 1}, now));
}

}  // namespace
}  // namespace trustgate
