#include "ctl/context.h"

namespace trustgate::ctl {

std::optional<std::string> Context::option(const std::string& name) const {
  auto it = flags.find(name);
  if (it == flags.end()) return std::nullopt;
  return it->second;
}

std::optional<Config> Context::load() const {
  ConfigLoad loaded = load_config(config_path);
  if (!loaded.config) {
    for (const auto& issue : loaded.issues) err << format_issue(issue) << '\n';
    err << loaded.issues.size() << " error(s) in the configuration\n";
    return std::nullopt;
  }
  return loaded.config;
}

const User* named_user(Context& ctx, const UserLookup& found, std::string_view key) {
  switch (found.status) {
    case UserLookup::Status::Found:
      return found.user;
    case UserLookup::Status::Ambiguous:
      ctx.err << "trustgatectl: ambiguous username '" << key
              << "': several users have it; name one by id:<stable id> (see 'users')\n";
      return nullptr;
    case UserLookup::Status::Unknown:
      break;
  }
  ctx.err << "trustgatectl: unknown user '" << key << "'\n";
  return nullptr;
}

Result<std::unique_ptr<Store>> Context::open_store(const Config& config) const {
  return Store::open(config.database, clock);
}

}  // namespace trustgate::ctl
