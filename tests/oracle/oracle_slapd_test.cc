// Property test, slapd tier: the generated directories loaded into a private slapd (slapadd,
// entryUUIDs from the LDIF) and read by the ldap source, by a plain paged search and by a
// syncrepl refresh; trustgate's answers equal the oracle's for every user. TG_SEEDS=<n> runs
// more seeds, TG_SEED=<n> replays one.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>

#include "tests/harness/slapd.h"
#include "tests/oracle/directory_generator.h"
#include "tests/oracle/seed_run.h"

namespace trustgate::oracle {
namespace {

TEST(OracleSlapdTest, TrustgateAgreesWithTheOracleThroughTheLdapSource) {
  spdlog::set_level(spdlog::level::err);  // entries skipped on purpose (no uid) are warned of
  const auto started = std::chrono::steady_clock::now();
  ComparisonStats total;
  std::size_t seeds = 0, runs = 0;
  for (std::uint64_t seed : seeds_from_env(12)) {
    const DirectoryModel model = generate_directory(seed);
    SlapdOptions options;
    options.ldif = render_directory(model, SourceSpec{}).ldif;
    SlapdServer slapd(options);
    for (bool incremental : {false, true}) {
      SourceSpec source{.type = "ldap", .url = slapd.ldap_url(), .incremental = incremental};
      const SeedOutcome outcome = run_seed(model, source);
      ASSERT_TRUE(outcome.agreed) << outcome.message;
      ++runs;
      total.users += outcome.stats.users;
      total.lookups += outcome.stats.lookups;
      total.decisions += outcome.stats.decisions;
    }
    ++seeds;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "oracle/slapd: %zu seeds (%zu reads), %zu users, %zu lookups, %zu decisions, "
      "0 differences, %.1f s\n",
      seeds, runs, total.users, total.lookups, total.decisions, seconds);
}

}  // namespace
}  // namespace trustgate::oracle
