#include "bench/lib/api_setup.h"

#include <Poco/Base64Encoder.h>
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "bench/lib/mapping_toml.h"
#include "bench/lib/raw_http.h"
#include "bench/lib/synthetic_directory.h"

namespace trustgate::bench {
namespace fs = std::filesystem;

namespace {
std::string school_client(const std::string& inst) { return "school-" + inst; }
std::string school_secret(const std::string& inst) { return "bench-school-secret-" + inst; }
}  // namespace

std::string basic_auth(const std::string& id, const std::string& secret) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << id << ':' << secret;
  enc.close();
  return "Basic " + out.str();
}

std::string trustgated_binary() {
  if (const char* env = std::getenv("TRUSTGATED"); env && *env) return env;
  return (fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "daemon" / "trustgated")
      .string();
}

fs::path wrk_scripts_dir() {
  if (const char* env = std::getenv("TRUSTGATE_WRK_SCRIPTS"); env && *env) return env;
  return fs::path(__FILE__).parent_path().parent_path() / "wrk";
}

ApiSetup make_api_setup(std::size_t users) {
  SyntheticShape shape;
  shape.users = users;
  shape.schools = 100;
  shape.groups = 500;
  shape.big_group_members = users / 2;
  SyntheticDirectory synthetic = make_synthetic_directory(shape);
  ApiSetup s;
  {
    std::ostringstream out;
    write_ldif(out, synthetic, shape);
    s.options.ldif = std::move(out).str();
  }
  s.options.mapping_toml = mapping_toml(synthetic.mapping);
  s.options.source_toml = "[source.users]\ndisabled_attr = 'employeeType'\n";
  s.options.extra_toml =
      "[safety]\nmax_grant_removal_share = 1.0\nmax_grant_removals = 100000000\n";
  s.options.log_level = "info";
  s.options.clients.push_back({kBenchSiteId, "site", "", kBenchSiteSecret});
  for (const auto& inst : synthetic.mapping.institutions) {
    s.options.clients.push_back(
        {school_client(inst.id), "school", inst.id, school_secret(inst.id)});
  }
  // Users with the login role, enabled, at their staff school (see synthetic_directory.cc):
  // confirmed against the daemon before use.
  for (std::size_t i = 0; i < synthetic.snapshot.users.size(); ++i) {
    const auto& u = synthetic.snapshot.users[i];
    s.users.push_back(u.username);
    const bool permitted = i < shape.big_group_members || i % 10 != 9;
    if (!u.enabled || !permitted) continue;
    const std::string inst = std::to_string(100000 + i % shape.schools);
    s.plan.push_back({u.username, inst, basic_auth(school_client(inst), school_secret(inst))});
  }
  return s;
}

bool confirm_plan(int port, std::vector<HandoffPair>& plan) {
  const std::string site = basic_auth(kBenchSiteId, kBenchSiteSecret);
  std::vector<HandoffPair> kept;
  for (std::size_t i = 0; i < plan.size() && kept.size() < 2000; i += 3) {
    const HttpReply r = http_get(port, "/v1/users/" + plan[i].user + "/institutions", site);
    if (r.status == 200 && r.body.find("\"" + plan[i].inst + "\"") != std::string::npos) {
      kept.push_back(plan[i]);
    }
  }
  plan = std::move(kept);
  return !plan.empty();
}

std::string write_lines(const fs::path& p, const std::vector<std::string>& lines) {
  std::ofstream out(p);
  for (const auto& l : lines) out << l << '\n';
  return p.string();
}

}  // namespace trustgate::bench
