#pragma once
// What every trustgatectl command gets: its arguments, output streams and the loaded config.
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "daemon/config/config_loader.h"
#include "daemon/store/store.h"
#include "mapping/user_key.h"

namespace trustgate::ctl {

struct Context {
  std::string config_path;
  bool json = false;
  std::vector<std::string> args;             // positional arguments after the command
  std::map<std::string, std::string> flags;  // --name or --name=value (value "" for bare flags)
  std::ostream& out = std::cout;
  std::ostream& err = std::cerr;
  SystemClock clock;

  bool flag(const std::string& name) const { return flags.contains(name); }
  std::optional<std::string> option(const std::string& name) const;

  // Loads and validates the config; prints every issue on failure.
  std::optional<Config> load() const;
  // Opens the store named by the config.
  Result<std::unique_ptr<Store>> open_store(const Config& config) const;
};

// The user `found` holds, or nullptr after telling the operator that `key` (the spelling they
// gave: "id:<stable id>" or a username) names nobody or several users.
const User* named_user(Context& ctx, const UserLookup& found, std::string_view key);

// Exit codes: 0 ok, 1 the answer is "no"/"refused"/"not found", 2 usage or config error,
// 3 runtime failure (store, directory).
inline constexpr int kExitOk = 0, kExitNo = 1, kExitUsage = 2, kExitFailure = 3;

using Command = int (*)(Context&);
int cmd_check_config(Context&);
int cmd_plan(Context&);
int cmd_sync(Context&);
int cmd_status(Context&);
int cmd_explain(Context&);
int cmd_users(Context&);
int cmd_institutions(Context&);
int cmd_clusters(Context&);
int cmd_associate(Context&);
int cmd_dissociate(Context&);
int cmd_audit(Context&);

}  // namespace trustgate::ctl
