#pragma once
// A small LA directory and config in a temp folder, for driving the real trustgatectl.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/harness/subprocess.h"

namespace trustgate::testing {

class CtlFixture {
 public:
  CtlFixture();
  ~CtlFixture();

  // trustgatectl --config <this config> ARGS..., with `env` added to the environment.
  CommandResult ctl(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env = {}) const;
  void write_ldif(const std::string& ldif) const;
  // The base config plus `extra_toml`; at most `max_grant_removals` grants may go per sync.
  void write_config(const std::string& extra_toml = "", int max_grant_removals = 500) const;
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path config() const { return dir_ / "trustgate.toml"; }

  // The directory: schools 100001..100003 (cluster "primaries" = 100001+100002); alice:
  // cluster primaries + school 100003 directly; bob: disabled; carol: login role, no
  // association; dave: all institutions; eve: a school but no login role. The login role
  // comes from the Staff group: `staff` replaces its members (alice, bob, carol and dave).
  static std::string base_ldif(const std::vector<std::string>& staff = {"alice", "bob", "carol",
                                                                        "dave"});
  // Roles, the three schools, the cluster and the rules for base_ldif() (TOML).
  static std::string mapping_toml();
  static std::string user(const std::string& uid, const std::string& uuid, bool disabled = false);
  static std::string group(const std::string& cn, const std::vector<std::string>& member_uids);

 private:
  std::filesystem::path dir_;
};

}  // namespace trustgate::testing
