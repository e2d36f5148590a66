// Property test, LDIF tier: for random directories (tests/oracle/directory_generator.h),
// trustgate's answers through the LDIF source and the daemon's pipeline equal the independent
// oracle's (tests/oracle/login_oracle.h) for every user. TG_SEEDS=<n> runs more seeds,
// TG_SEED=<n> replays one.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <set>

#include "tests/oracle/directory_generator.h"
#include "tests/oracle/login_oracle.h"
#include "tests/oracle/seed_run.h"

namespace trustgate::oracle {
namespace {

// What one directory holds of the cases the generator promises, to check it keeps making them.
struct Coverage {
  std::size_t shared_usernames = 0, disabled = 0, not_read = 0, cycles = 0, nobody_refs = 0,
              uid_refs = 0, nested_refs = 0, directory_schools = 0;
};

Coverage coverage_of(const DirectoryModel& m) {
  Coverage c;
  LoginOracle oracle(m);
  const auto users = oracle.users();
  for (std::size_t a : users) {
    for (std::size_t b : users)
      c.shared_usernames += a < b && m.people[a].username_key == m.people[b].username_key;
    c.disabled += m.people[a].disabled;
  }
  c.not_read = m.people.size() - users.size();
  for (std::size_t g = 0; g < m.groups.size(); ++g) {
    for (const auto& ref : m.groups[g].members) {
      c.nobody_refs += ref.kind == MemberRef::Kind::Nobody;
      c.nested_refs += ref.kind == MemberRef::Kind::Group;
    }
    c.uid_refs += m.groups[g].member_uids.size();
    // g is in a cycle when it contains itself through nesting.
    std::set<std::size_t> seen;
    std::function<bool(std::size_t)> reaches = [&](std::size_t h) {
      for (const auto& ref : m.groups[h].members) {
        if (ref.kind != MemberRef::Kind::Group) continue;
        if (ref.index == g) return true;
        if (seen.insert(ref.index).second && reaches(ref.index)) return true;
      }
      return false;
    };
    c.cycles += reaches(g);
  }
  c.directory_schools = oracle.institutions().size() - m.institutions.size();
  return c;
}

TEST(OracleLdifTest, TrustgateAgreesWithTheOracleForEveryUserOfRandomDirectories) {
  spdlog::set_level(spdlog::level::err);  // entries skipped on purpose (no uid) are warned of
  const auto started = std::chrono::steady_clock::now();
  ComparisonStats total;
  Coverage covered;
  std::size_t seeds = 0;
  for (std::uint64_t seed : seeds_from_env(200)) {
    const DirectoryModel model = generate_directory(seed);
    const SeedOutcome outcome = run_seed(model, SourceSpec{});
    ASSERT_TRUE(outcome.agreed) << outcome.message;
    ++seeds;
    total.users += outcome.stats.users;
    total.lookups += outcome.stats.lookups;
    total.decisions += outcome.stats.decisions;
    for (const auto& [reason, n] : outcome.stats.reasons) total.reasons[reason] += n;
    const Coverage c = coverage_of(model);
    covered.shared_usernames += c.shared_usernames;
    covered.disabled += c.disabled;
    covered.not_read += c.not_read;
    covered.cycles += c.cycles;
    covered.nobody_refs += c.nobody_refs;
    covered.uid_refs += c.uid_refs;
    covered.nested_refs += c.nested_refs;
    covered.directory_schools += c.directory_schools;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "oracle/ldif: %zu seeds, %zu users, %zu lookups, %zu decisions, 0 differences, %.1f s\n",
      seeds, total.users, total.lookups, total.decisions, seconds);
  for (const auto& [reason, n] : total.reasons) std::printf("  %-20s %zu\n", reason.c_str(), n);
  // Not hollow: the directories hold the hard cases and the decisions reach every reason.
  if (seeds >= 20) {
    EXPECT_GT(covered.shared_usernames, 0u);
    EXPECT_GT(covered.disabled, 0u);
    EXPECT_GT(covered.not_read, 0u);
    EXPECT_GT(covered.cycles, 0u);
    EXPECT_GT(covered.nobody_refs, 0u);
    EXPECT_GT(covered.uid_refs, 0u);
    EXPECT_GT(covered.nested_refs, 0u);
    EXPECT_GT(covered.directory_schools, 0u);
    for (const char* reason : {"granted", "unknown_user", "ambiguous_user", "user_disabled",
                               "no_login_permission", "unknown_institution", "not_associated"}) {
      EXPECT_GT(total.reasons[reason], 0u) << reason;
    }
  }
}

}  // namespace
}  // namespace trustgate::oracle
