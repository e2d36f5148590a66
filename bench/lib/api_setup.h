#pragma once
// The set-up of the benchmarks that run the real trustgated's HTTP API: a synthetic directory
// (bench/lib/synthetic_directory.h, 100 schools) written as the daemon's LDIF source, a site
// client and one client per school, and the (user, school) pairs a handoff may be issued for.
// Also where the daemon binary and the wrk scripts are found.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/harness/daemon_process.h"

namespace trustgate::bench {

inline constexpr char kBenchSiteId[] = "bench-site";
inline constexpr char kBenchSiteSecret[] = "bench-site-secret-0123456789abcdef";

// "Basic base64(id:secret)".
std::string basic_auth(const std::string& id, const std::string& secret);
// $TRUSTGATED, else ../daemon/trustgated beside the running program (build/bench/...).
std::string trustgated_binary();
// $TRUSTGATE_WRK_SCRIPTS, else bench/wrk in the source tree.
std::filesystem::path wrk_scripts_dir();

struct HandoffPair {
  std::string user, inst, school_auth;  // school_auth: the school client's Authorization value
};

struct ApiSetup {
  testing::DaemonOptions options;  // [http] keys are the caller's (options.http_toml)
  std::vector<HandoffPair> plan;   // users with the login role at their staff school
  std::vector<std::string> users;  // every username
};

// Same directory, same clients, every time. log_level "info", as in production (every issue
// and redeem is logged).
ApiSetup make_api_setup(std::size_t users);

// Keeps only pairs the running daemon confirms (its drop-down lists the school) from a sample of
// the plan (at most 2,000); false when none is left.
bool confirm_plan(int port, std::vector<HandoffPair>& plan);

// Writes one line each; returns the path.
std::string write_lines(const std::filesystem::path& p, const std::vector<std::string>& lines);

}  // namespace trustgate::bench
